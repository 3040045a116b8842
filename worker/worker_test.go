package worker

import (
	"reflect"
	"slices"
	"testing"

	"github.com/heraldhq/herald/activities"
	"github.com/heraldhq/herald/internal/contract"
)

// Workflows name activities by contract's constants; the worker registers
// the methods of *activities.Activities under their own names. The two sets
// must be the same, or a workflow would schedule an activity no worker runs.
func TestActivityNamesAreTheRegisteredMethods(t *testing.T) {
	typ := reflect.TypeOf(&activities.Activities{})
	var methods []string
	for i := range typ.NumMethod() {
		methods = append(methods, typ.Method(i).Name)
	}
	names := slices.Clone(contract.ActivityNames)
	slices.Sort(methods)
	slices.Sort(names)
	if !slices.Equal(methods, names) {
		t.Errorf("activity methods %v\ncontract names   %v", methods, names)
	}
}
