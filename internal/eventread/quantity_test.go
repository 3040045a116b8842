package eventread

import "testing"

func TestQuantities(t *testing.T) {
	cases := []struct{ got, want string }{
		{humanBytes("0"), "0 B"},
		{humanBytes("1023"), "1023 B"},
		{humanBytes("1024"), "1.0 KiB"},
		{humanBytes("1288490189"), "1.2 GiB"},
		{humanBytes("9.1 GB"), "9.1 GB"},
		{humanBytes("-5"), "-5"},
		{percent("93"), "93%"},
		{percent("93.5"), "93.5%"},
		{percent("93%"), "93%"},
		{ratio("9771050598", "10737418240"), "91%"},
		{ratio("1", "0"), ""},
		{ratio("6.2 GiB", "20 GiB"), ""},
		{elapsed("2022-01-19T09:04:40.916Z", "2022-01-19T09:07:12.003Z"), "2m31s"},
		{elapsed("2022-01-19T10:00:00Z", "2022-01-19T09:00:00Z"), ""},
		{elapsed("yesterday", "2022-01-19T09:00:00Z"), ""},
		{when("2022-01-19T09:04:40.916+01:00"), "2022-01-19 08:04:40 UTC"},
		{when("soon"), "soon"},
		{day("2022-03-31T23:59:59Z"), "2022-03-31"},
		{money("1234.5", "usd"), "1,234.50 USD"},
		{money("1234567", "EUR"), "1,234,567.00 EUR"},
		{money("0.1", "GBP"), "0.10 GBP"},
		{money("-42.5", "USD"), "-42.50 USD"},
		{money("1500", "JPY"), "1,500 JPY"},
		{money("1.5", "KWD"), "1.500 KWD"},
		{money("12.3456", "USD"), "12.3456 USD"}, // more digits than the currency's: shown, not rounded
		{money("42", ""), "42"},
		{money("forty", "USD"), "forty USD"},
		{minorToMajor("4250", "EUR"), "42.50"},
		{minorToMajor("5", "USD"), "0.05"},
		{minorToMajor("-199", "usd"), "-1.99"},
		{minorToMajor("1500", "JPY"), "1500"},
		{minorToMajor("1500", "KWD"), "1.500"},
		{minorToMajor("12.5", "USD"), ""},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: %q, want %q", i, c.got, c.want)
		}
	}
}
