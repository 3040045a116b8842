package contract

import "go.temporal.io/sdk/temporal"

// Search attributes Herald sets on event workflows (registered by `make dev`
// and the test dev servers), so the Temporal Web UI can filter deliveries.
var (
	AttrTeamID         = temporal.NewSearchAttributeKeyKeyword("HeraldTeamId")
	AttrEventType      = temporal.NewSearchAttributeKeyKeyword("HeraldEventType")
	AttrProjectID      = temporal.NewSearchAttributeKeyKeyword("HeraldProjectId")
	AttrIntegrationIDs = temporal.NewSearchAttributeKeyKeywordList("HeraldIntegrationIds")
	AttrDeliveryStatus = temporal.NewSearchAttributeKeyKeyword("HeraldDeliveryStatus")
)

// SearchAttributes lists every Herald search attribute with its type, for
// registration ("name=Type", the dev server's --search-attribute syntax).
func SearchAttributes() []string {
	return []string{
		AttrTeamID.GetName() + "=Keyword",
		AttrEventType.GetName() + "=Keyword",
		AttrProjectID.GetName() + "=Keyword",
		AttrIntegrationIDs.GetName() + "=KeywordList",
		AttrDeliveryStatus.GetName() + "=Keyword",
	}
}
