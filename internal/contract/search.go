package contract

import (
	"context"
	"fmt"
	"sort"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Search attributes Herald sets on event workflows, so the Temporal Web UI
// can filter deliveries.
var (
	AttrTeamID         = temporal.NewSearchAttributeKeyKeyword("HeraldTeamId")
	AttrEventType      = temporal.NewSearchAttributeKeyKeyword("HeraldEventType")
	AttrProjectID      = temporal.NewSearchAttributeKeyKeyword("HeraldProjectId")
	AttrIntegrationIDs = temporal.NewSearchAttributeKeyKeywordList("HeraldIntegrationIds")
	AttrDeliveryStatus = temporal.NewSearchAttributeKeyKeyword("HeraldDeliveryStatus")
)

// Temporal refuses a search attribute value over 2 KiB
// (limit.searchAttributesSizeOfValue, https://docs.temporal.io/self-hosted-guide/defaults)
// by terminating the workflow that set it, so nothing unbounded goes in one.
const (
	// MaxSearchAttributeValue is Temporal's default limit, in bytes of the
	// value's JSON encoding.
	MaxSearchAttributeValue = 2048
	// integrationIDsBudget is what HeraldIntegrationIds may use of it: room
	// for 46 ids of today's 36 bytes. An event with more matches lists the
	// first ones; Postgres (the event's deliveries) and the workflow's current
	// details have them all.
	integrationIDsBudget = 1800
	// MaxKeywordValue bounds a single Keyword attribute Herald sets from
	// input; the gateway refuses longer values with a 400 before this matters.
	MaxKeywordValue = 256
)

// IntegrationIDsValue is the HeraldIntegrationIds value for ids: the first
// of them that fit the attribute's budget.
func IntegrationIDsValue(ids []string) []string {
	out := make([]string, 0, len(ids))
	size := len("[]")
	for _, id := range ids {
		// Each element costs its quotes and a comma; ids are plain ASCII.
		size += len(id) + 3
		if size > integrationIDsBudget {
			break
		}
		out = append(out, id)
	}
	return out
}

// keywordValue is v when it fits a Keyword attribute, else "" (not set).
func keywordValue(v string) string {
	if len(v) > MaxKeywordValue {
		return ""
	}
	return v
}

// searchAttributeTypes are every Herald search attribute with its type.
var searchAttributeTypes = map[string]enumspb.IndexedValueType{
	AttrTeamID.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrEventType.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrProjectID.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrIntegrationIDs.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	AttrDeliveryStatus.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// SearchAttributes lists them as "Name=Type", the dev server's
// --search-attribute syntax, sorted.
func SearchAttributes() []string {
	out := make([]string, 0, len(searchAttributeTypes))
	for name, typ := range searchAttributeTypes {
		out = append(out, name+"="+typ.String())
	}
	sort.Strings(out)
	return out
}

// SetupSearchAttributes registers the search attributes a namespace lacks,
// through the operator API. Running it again changes nothing. It returns the
// names it added.
func SetupSearchAttributes(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes of %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	var added []string
	for name, typ := range searchAttributeTypes {
		if got, ok := have.GetCustomAttributes()[name]; ok {
			if got != typ {
				return nil, fmt.Errorf("search attribute %s exists as %s; Herald needs %s", name, got, typ)
			}
			continue
		}
		missing[name] = typ
		added = append(added, name)
	}
	sort.Strings(added)
	if len(missing) == 0 {
		return added, nil
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	}); err != nil {
		return nil, fmt.Errorf("add search attributes to %s: %w", namespace, err)
	}
	return added, nil
}
