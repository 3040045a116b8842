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
