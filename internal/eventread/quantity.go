package eventread

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Quantities as a person reads them: sizes, durations, money and percentages.
// Each takes the text an event carried and returns it unchanged when it is
// not the plain number the formatter expects: a sender that already wrote
// "93 %" or "9.1 GB" is shown as it wrote it, never as a guess.

var (
	decimalRE = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
	integerRE = regexp.MustCompile(`^\d+$`)
)

// isNumber reports whether s is a plain decimal number.
func isNumber(s string) bool { return decimalRE.MatchString(s) }

// byteUnits are IEC units: volumes and backups are sized in powers of two.
var byteUnits = []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// humanBytes shows a byte count ("9771050598") as "9.1 GiB".
func humanBytes(s string) string {
	if !integerRE.MatchString(s) {
		return s
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	i := 0
	for n >= 1024 && i < len(byteUnits)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return s + " B"
	}
	return strconv.FormatFloat(n, 'f', 1, 64) + " " + byteUnits[i]
}

// percent shows a plain number as a percentage ("93" → "93%").
func percent(s string) string {
	if !isNumber(s) {
		return s
	}
	return s + "%"
}

// ratio is used/total as a whole percentage ("91%"), or "" when either is not
// a plain number or the total is zero.
func ratio(used, total string) string {
	u, err1 := strconv.ParseFloat(used, 64)
	t, err2 := strconv.ParseFloat(total, 64)
	if !isNumber(used) || !isNumber(total) || err1 != nil || err2 != nil || t <= 0 {
		return ""
	}
	return strconv.FormatFloat(100*u/t, 'f', 0, 64) + "%"
}

// elapsed is the time from start to end (RFC 3339), rounded to the second:
// "3m10s". Empty when either is missing or end is before start.
func elapsed(start, end string) string {
	a, err1 := time.Parse(time.RFC3339Nano, start)
	b, err2 := time.Parse(time.RFC3339Nano, end)
	if err1 != nil || err2 != nil || b.Before(a) {
		return ""
	}
	return b.Sub(a).Round(time.Second).String()
}

// when shows an RFC 3339 time as "2022-01-19 09:04:40 UTC"; other text as it is.
func when(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// day shows an RFC 3339 time or date as "2022-03-01"; other text as it is.
func day(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.DateOnly)
	}
	return s
}

// currencyExponent is the number of minor-unit digits of the ISO 4217
// currencies that differ from the usual two.
var currencyExponent = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

func exponentOf(currency string) int {
	if e, ok := currencyExponent[currency]; ok {
		return e
	}
	return 2
}

// money shows an amount in major units ("1234.5") with its ISO 4217 currency
// code as "1,234.50 USD". The amount is decimal text, never a float, so no
// cent is lost to rounding. Without a currency it is shown as it came.
func money(amount, currency string) string {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if !isNumber(amount) {
		return strings.TrimSpace(amount + " " + currency)
	}
	if currency == "" {
		return amount
	}
	neg := strings.HasPrefix(amount, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(amount, "-"), ".")
	if exp := exponentOf(currency); len(frac) < exp {
		frac += strings.Repeat("0", exp-len(frac))
	}
	out := groupThousands(whole)
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out + " " + currency
}

// minorToMajor turns an integer amount in minor units ("4250" cents) into
// major-unit decimal text ("42.50") by the currency's exponent.
func minorToMajor(minor, currency string) string {
	neg := strings.HasPrefix(minor, "-")
	digits := strings.TrimPrefix(minor, "-")
	if !integerRE.MatchString(digits) {
		return ""
	}
	exp := exponentOf(strings.ToUpper(currency))
	for len(digits) <= exp {
		digits = "0" + digits
	}
	out := digits
	if exp > 0 {
		out = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
