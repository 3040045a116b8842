package retry

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/jsontime"
)

// standard is Herald's default schedule (config.Defaults().Retry).
var standard = Policy{InitialInterval: 5 * time.Second, BackoffCoefficient: 3, MaxInterval: 2 * time.Hour, MaxAttempts: 10}

func TestValidate(t *testing.T) {
	if err := standard.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]Policy{
		"no first delay":            {InitialInterval: 0, BackoffCoefficient: 2, MaxInterval: time.Hour, MaxAttempts: 3},
		"a shrinking factor":        {InitialInterval: time.Second, BackoffCoefficient: 0.5, MaxInterval: time.Hour, MaxAttempts: 3},
		"a cap below the first":     {InitialInterval: time.Minute, BackoffCoefficient: 2, MaxInterval: time.Second, MaxAttempts: 3},
		"no attempt":                {InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Hour, MaxAttempts: 0},
		"a century between retries": {InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: 1000000 * time.Hour, MaxAttempts: 3},
		"a factor of 1000":          {InitialInterval: time.Second, BackoffCoefficient: 1000, MaxInterval: time.Hour, MaxAttempts: 3},
		"101 attempts":              {InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Hour, MaxAttempts: 101},
		"jitter of 0.9":             {InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Hour, MaxAttempts: 3, Jitter: 0.9},
	}
	for name, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%s: %+v accepted", name, p)
		}
	}
	day := standard
	day.MaxInterval = MaxInterval
	if err := day.Validate(); err != nil {
		t.Errorf("a day between retries: %v", err)
	}
}

func TestDelay(t *testing.T) {
	want := []time.Duration{5 * time.Second, 15 * time.Second, 45 * time.Second, 135 * time.Second, 405 * time.Second,
		1215 * time.Second, 3645 * time.Second, 2 * time.Hour, 2 * time.Hour}
	var total time.Duration
	for n := 1; n < standard.MaxAttempts; n++ {
		if got := standard.Delay(n); got != want[n-1] {
			t.Errorf("Delay(%d) = %s, want %s", n, got, want[n-1])
		}
		total += standard.Delay(n)
	}
	if total < 5*time.Hour+20*time.Minute || total > 5*time.Hour+40*time.Minute {
		t.Errorf("total retry span %s, want about 5.5 h", total)
	}
}

func TestJittered(t *testing.T) {
	if got := standard.Jittered(3, 0.99); got != standard.Delay(3) {
		t.Errorf("no jitter configured: %s, want %s", got, standard.Delay(3))
	}
	p := standard
	p.Jitter = 0.2
	for _, c := range []struct {
		u    float64
		want time.Duration
	}{{0, 36 * time.Second}, {0.5, 45 * time.Second}, {0.75, 49500 * time.Millisecond}} {
		if got := p.Jittered(3, c.u); got != c.want {
			t.Errorf("Jittered(3, %g) = %s, want %s", c.u, got, c.want)
		}
	}
	p.InitialInterval, p.Jitter = time.Second, 0.5
	if got := p.Jittered(1, 0); got < MinInterval {
		t.Errorf("jitter took the delay below %s: %s", MinInterval, got)
	}
}

func TestOverride(t *testing.T) {
	var o Override
	if err := json.Unmarshal([]byte(`{"maxAttempts":4,"initialInterval":"10m"}`), &o); err != nil {
		t.Fatal(err)
	}
	got, err := o.Apply(standard)
	if err != nil {
		t.Fatal(err)
	}
	// A first delay above the default cap raises the cap with it.
	if got.MaxAttempts != 4 || got.InitialInterval != 10*time.Minute || got.MaxInterval != 2*time.Hour || got.BackoffCoefficient != 3 {
		t.Errorf("applied %+v", got)
	}
	long := jsontime.Duration(1000000 * time.Hour)
	if _, err := (&Override{MaxInterval: &long}).Apply(standard); err == nil {
		t.Error("an override of a century between retries was accepted")
	}
	if got, err := (*Override)(nil).Apply(standard); err != nil || got != standard {
		t.Errorf("no override: %+v %v", got, err)
	}
}

// The policy travels in workflow history: its JSON names stay as recorded.
func TestPolicyJSONIsStable(t *testing.T) {
	b, err := json.Marshal(standard)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"initialInterval":5000000000,"backoffCoefficient":3,"maxInterval":7200000000000,"maxAttempts":10}`; string(b) != want {
		t.Errorf("policy JSON %s, want %s", b, want)
	}
}

func TestUnitIsFixedPerDeliveryAndSpread(t *testing.T) {
	if Unit("dlv_a", 1) != Unit("dlv_a", 1) {
		t.Fatal("the same delivery and attempt gave two units")
	}
	p := standard
	p.Jitter = DefaultJitter
	seen := map[time.Duration]bool{}
	for i := range 200 {
		u := Unit(fmt.Sprintf("dlv_%03d", i), 1)
		if u < 0 || u >= 1 {
			t.Fatalf("unit %g outside [0, 1)", u)
		}
		d := p.Jittered(1, u)
		if d < 4*time.Second || d > 6*time.Second {
			t.Fatalf("first retry after %s, want 4 to 6 s", d)
		}
		seen[d.Round(100*time.Millisecond)] = true
	}
	// 200 deliveries that failed together do not come back in step.
	if len(seen) < 15 {
		t.Errorf("200 deliveries' first retries fell on %d distinct 100 ms slots, want them spread", len(seen))
	}
}

// The span of a schedule, counted by hand: the defaults' nine waits of 5 s
// ×3 each, capped at 2 h, each at the top of its ±20 % jitter (which may
// pass the policy's cap, not the 24 h bound of every wait).
func TestSpan(t *testing.T) {
	p := Policy{InitialInterval: 5 * time.Second, BackoffCoefficient: 3, MaxInterval: 2 * time.Hour, MaxAttempts: 10, Jitter: 0.2}
	// 5 + 15 + 45 + 135 + 405 + 1215 + 3645 = 5465 s, then 7200 s twice; all ×1.2.
	want := time.Duration(1.2 * (5465 + 2*7200) * float64(time.Second))
	if got := p.Span(); got != want {
		t.Fatalf("span %s, want %s", got, want)
	}
	if got := (Policy{InitialInterval: time.Second, BackoffCoefficient: 1, MaxInterval: time.Second, MaxAttempts: 1}).Span(); got != 0 {
		t.Fatalf("one attempt: span %s, want 0", got)
	}
}

func TestPatchKeepsWhatItDoesNotName(t *testing.T) {
	two, three := 2, 3
	sec := jsontime.Duration(time.Second)
	cur := &Override{MaxAttempts: &three, InitialInterval: &sec, MaxInterval: &sec}
	got := cur.Patch(Override{MaxAttempts: &two})
	if *got.MaxAttempts != 2 || got.InitialInterval != &sec || got.MaxInterval != &sec {
		t.Errorf("patch of maxAttempts: %+v", got)
	}
	if *cur.MaxAttempts != 3 {
		t.Error("the patch changed the override it was made from")
	}
	var none *Override
	if got := none.Patch(Override{MaxAttempts: &two}); *got.MaxAttempts != 2 || got.InitialInterval != nil {
		t.Errorf("patch of no override: %+v", got)
	}
}
