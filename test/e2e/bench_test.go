package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/bench"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// The benchmark harness counts every delivery and every latency it reports,
// for Herald and for the bare ceiling.
func TestBenchHarness(t *testing.T) {
	s := testenv.NewStack(t)
	recv, err := bench.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	for i := range 2 {
		if _, err := s.Store.CreateIntegration(context.Background(), store.Integration{TeamID: s.Team, Name: fmt.Sprintf("bench-%d", i),
			Type: herald.IntegrationWebhook, URL: fmt.Sprintf("%s/h/%d", recv.URL, i), Events: []string{"build:*"}, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	o := bench.Options{GatewayURL: s.URL, APIKey: s.Key, Events: 20, Concurrency: 4, FanOut: 2,
		Temporal: s.Temporal, BareQueue: s.Config.TaskQueue + "-bare"}
	for name, run := range map[string]func(context.Context, bench.Options, *bench.Receiver, string) (bench.Figures, error){
		"herald": bench.RunHerald, "bare": bench.RunBare,
	} {
		f, err := run(context.Background(), o, recv, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Events != 20 || f.Deliveries != 40 || f.Missing != 0 || f.Rejected != 0 ||
			f.EndToEndP50MS <= 0 || f.EndToEndMaxMS < f.EndToEndP99MS || f.IngestP99MS < f.IngestP50MS || f.DeliveriesPerS <= 0 {
			t.Errorf("%s figures %+v", name, f)
		}
	}
	if p, err := bench.ReadProc("self", 1); err != nil || p.PID != 1 {
		t.Errorf("ReadProc: %+v %v", p, err)
	}
}
