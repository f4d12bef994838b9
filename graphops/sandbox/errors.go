package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Graph error envelope, GRAPH-FACTS §5.1: a single "error" object whose innerError
// carries a zone-less 19-character date (msgraph-sdk-go parses exactly that form),
// a request-id and a client-request-id.

// GraphErrorDetail is one entry of error.details (directory errors such as
// NoBackingApplicationObject carry them).
type GraphErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

type graphErrorBody struct {
	Error graphError `json:"error"`
}

type graphError struct {
	Code       string             `json:"code"`
	Message    string             `json:"message"`
	Details    []GraphErrorDetail `json:"details,omitempty"`
	InnerError map[string]string  `json:"innerError"`
}

// graphDate is the innerError.date format: UTC, no zone.
const graphDate = "2006-01-02T15:04:05"

// writeGraphError writes the real Graph error envelope. The request-id it
// generates is also set as the request-id response header.
func writeGraphError(w http.ResponseWriter, r *http.Request, status int, code, message string, details ...GraphErrorDetail) {
	reqID := w.Header().Get("request-id")
	if reqID == "" {
		reqID = uuid.NewString()
		w.Header().Set("request-id", reqID)
	}
	clientReqID := r.Header.Get("client-request-id")
	if clientReqID == "" {
		clientReqID = reqID
	}
	body := graphErrorBody{Error: graphError{
		Code:    code,
		Message: message,
		Details: details,
		InnerError: map[string]string{
			"date":              time.Now().UTC().Format(graphDate),
			"request-id":        reqID,
			"client-request-id": clientReqID,
		},
	}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// Messages Graph really sends (GRAPH-FACTS §5.2). Keep them word for word.
const (
	msgInsufficientPrivileges  = "Insufficient privileges to complete the operation."
	msgNotValidReferenceUpdate = "Not a valid reference update."
	msgPermissionExists        = "Permission being assigned already exists on the object."
	msgOneOrMoreInvalid        = "One or more properties are invalid."
	msgMailAccessDenied        = "Access is denied. Check credentials and try again."
	msgMailboxPolicyDenied     = "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
	msgMailboxNotEnabled       = "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
	msgTokenExpired            = "Access token has expired or is not yet valid."
	msgTokenEmpty              = "Access token is empty."
	msgTokenInvalidAudience    = "Access token validation failure. Invalid audience."
	msgTokenValidation         = "Access token validation failure."
	msgNoScpOrRoles            = "Either scp or roles claim need to be present in the token."
	msgTooManyRequests         = "Please retry again later."
)

func msgResourceNotFound(id string) string {
	return fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

func msgNoBackingApplication(appID string) string {
	return fmt.Sprintf("The appId '%s' of the service principal does not reference a valid application object.", appID)
}

// writeThrottled writes Graph's documented 429 (GRAPH-FACTS §5.3).
func writeThrottled(w http.ResponseWriter, r *http.Request, status int, retryAfter time.Duration) {
	secs := strconv.FormatFloat(retryAfter.Seconds(), 'f', -1, 64)
	w.Header().Set("Retry-After", secs)
	reqID := uuid.NewString()
	w.Header().Set("request-id", reqID)
	code, message := "TooManyRequests", msgTooManyRequests
	if status == http.StatusServiceUnavailable {
		code, message = "serviceNotAvailable", "Service unavailable. Please try again later."
	}
	body := map[string]any{"error": map[string]any{
		"code":    code,
		"message": message,
		"innerError": map[string]string{
			"code":       strconv.Itoa(status),
			"date":       time.Now().UTC().Format(graphDate),
			"message":    "Please retry after",
			"request-id": reqID,
			"status":     strconv.Itoa(status),
		},
	}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// STS errors, GRAPH-FACTS §6.2: error_description carries the AADSTS text followed by
// "\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: YYYY-MM-DD HH:MM:SSZ".

// STSError is an identity-platform error the sandbox can answer with.
type STSError struct {
	Status      int    // HTTP status
	Error       string // OAuth error, e.g. invalid_client
	Code        int    // AADSTS number
	Description string // text after "AADSTSnnnn: "
	SubError    string // optional suberror, e.g. consent_required
}

func writeSTSError(w http.ResponseWriter, r *http.Request, e STSError) {
	trace, corr := uuid.NewString(), r.Header.Get("client-request-id")
	if corr == "" {
		corr = uuid.NewString()
	}
	ts := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	desc := fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", e.Code, e.Description, trace, corr, ts)
	body := map[string]any{
		"error":             e.Error,
		"error_description": desc,
		"error_codes":       []int{e.Code},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         fmt.Sprintf("https://%s/error?code=%d", r.Host, e.Code),
	}
	if e.SubError != "" {
		body["suberror"] = e.SubError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// The STS errors the wizard must recognise (GRAPH-FACTS §6.3), with their real texts.

func errInvalidSecret(appID string) STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 7000215,
		Description: fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", appID)}
}

func errExpiredSecret(appID string) STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 7000222,
		Description: fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", appID)}
}

func errAppNotFound(appID, tenant string) STSError {
	return STSError{Status: 400, Error: "unauthorized_client", Code: 700016,
		Description: fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", appID, tenant)}
}

func errTenantNotFound(tenant string) STSError {
	return STSError{Status: 400, Error: "invalid_tenant", Code: 90002,
		Description: fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)}
}

func errInvalidTenantIdentifier(tenant string) STSError {
	return STSError{Status: 400, Error: "invalid_request", Code: 900023,
		Description: fmt.Sprintf("Specified tenant identifier '%s' is neither a valid DNS name, nor a valid external domain.", tenant)}
}

func errAssertionKeyNotFound(thumbprint, appID string) STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 700027,
		Description: fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", strings.ToUpper(thumbprint), appID)}
}

func errAuthorizationPending() STSError {
	return STSError{Status: 400, Error: "authorization_pending", Code: 70016,
		Description: "OAuth 2.0 device flow error. Authorization is pending. Continue polling."}
}

func errMissingCredential() STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 7000218,
		Description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}
