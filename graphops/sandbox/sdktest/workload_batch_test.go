package sdktest

import (
	"context"
	"testing"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// A JSON $batch through msgraph-sdk-go-core mixing a success and a 404: each
// step keeps its own status and body.
func TestBatchMixesSuccessAndNotFound(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	c := appClient(t, s, addApp(t, s, "Sync", "User.Read.All", "Mail.Read"))

	okInfo, err := c.Users().ByUserId("admin@contoso.com").ToGetRequestInformation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	missingInfo, err := c.Users().ByUserId("ghost@contoso.com").ToGetRequestInformation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	mailInfo, err := c.Users().ByUserId("noreply@contoso.com").Messages().ToGetRequestInformation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	batch := msgraphcore.NewBatchRequest(c.RequestAdapter)
	okStep, err := batch.AddBatchRequestStep(*okInfo)
	if err != nil {
		t.Fatal(err)
	}
	missingStep, err := batch.AddBatchRequestStep(*missingInfo)
	if err != nil {
		t.Fatal(err)
	}
	mailStep, err := batch.AddBatchRequestStep(*mailInfo)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := batch.Send(ctx, c.RequestAdapter)
	if err != nil {
		t.Fatal(err)
	}
	codes := resp.GetStatusCodes()
	if codes[*okStep.GetId()] != 200 || codes[*missingStep.GetId()] != 404 || codes[*mailStep.GetId()] != 404 {
		t.Fatalf("step statuses %v", codes)
	}
	user, err := msgraphcore.GetBatchResponseById[models.Userable](resp, *okStep.GetId(), models.CreateUserFromDiscriminatorValue)
	if err != nil || deref(user.GetDisplayName()) != "Megan Bowen" {
		t.Fatalf("success step: %v", err)
	}
	// A failed step's body is Graph's error envelope; with ODataError mapped for
	// batch steps the SDK turns it into the same error a direct call returns.
	if err := msgraphcore.RegisterError(msgraphcore.BatchRequestErrorRegistryKey,
		abstractions.ErrorMappings{"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = msgraphcore.DeRegisterError(msgraphcore.BatchRequestErrorRegistryKey) })
	_, err = msgraphcore.GetBatchResponseById[models.Userable](resp, *missingStep.GetId(), models.CreateUserFromDiscriminatorValue)
	wantODataErrorBody(t, err, "Request_ResourceNotFound",
		"Resource 'ghost@contoso.com' does not exist or one of its queried reference-property objects are not present.")
	_, err = msgraphcore.GetBatchResponseById[models.MessageCollectionResponseable](resp, *mailStep.GetId(), models.CreateMessageCollectionResponseFromDiscriminatorValue)
	wantODataErrorBody(t, err, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
}

// wantODataErrorBody checks code and message of an error parsed from a batch
// step (which carries no HTTP status of its own).
func wantODataErrorBody(t *testing.T, err error, code, message string) {
	t.Helper()
	oe, ok := err.(*odataerrors.ODataError)
	if !ok {
		t.Fatalf("error %v (%T) is not an *odataerrors.ODataError", err, err)
	}
	if deref(oe.GetErrorEscaped().GetCode()) != code || deref(oe.GetErrorEscaped().GetMessage()) != message {
		t.Fatalf("batch step error %q %q", deref(oe.GetErrorEscaped().GetCode()), deref(oe.GetErrorEscaped().GetMessage()))
	}
}
