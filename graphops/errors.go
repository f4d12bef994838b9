package graphops

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Kind classifies a failure by what the admin has to do about it.
type Kind int

const (
	KindInternal    Kind = iota // a bug or an answer the wizard did not expect
	KindInput                   // bad input: nothing was sent to Microsoft
	KindCancelled               // the admin cancelled
	KindSignIn                  // sign-in failed or was declined
	KindPermission              // the account or the app lacks a role, scope or consent
	KindSecret                  // the client secret or certificate is wrong or expired
	KindNotFound                // tenant or app not found
	KindThrottled               // Microsoft asked us to slow down and the deadline passed
	KindUnavailable             // Microsoft or the network did not answer
	KindNotReady                // Entra or Exchange has not caught up yet (replication, propagation)
	KindScoping                 // mailbox access refused by Exchange scoping
	KindMailbox                 // the mailbox cannot be used through Graph
	KindPolicy                  // a tenant policy forbids what was asked
)

// Error is a failure with a plain message and a next step. It never carries a
// secret: messages are built from Microsoft's error codes and texts, which do
// not echo credentials.
type Error struct {
	Kind      Kind
	Code      string // Microsoft's code: "AADSTS7000215", "Authorization_RequestDenied", …
	Field     string // for KindInput: which input is wrong
	Message   string // what happened, in the admin's words
	NextStep  string // what to do about it
	RequestID string // Graph request-id or STS trace id, for support tickets
	Status    int    // HTTP status, when there was one
	Err       error  // the cause
}

func (e *Error) Error() string {
	s := e.Message
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// AsError finds the *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf is the Kind of err (KindInternal when it is not an *Error).
func KindOf(err error) Kind {
	if e, ok := AsError(err); ok {
		return e.Kind
	}
	if errors.Is(err, context.Canceled) {
		return KindCancelled
	}
	return KindInternal
}

// stsBody is the identity platform's error JSON (GRAPH-FACTS §6.2).
type stsBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	TraceID          string `json:"trace_id"`
	SubError         string `json:"suberror"`
}

var aadstsRe = regexp.MustCompile(`AADSTS(\d+)`)

// fromSTS turns an MSAL error into an *Error. MSAL reports a failed token call
// as "http call(…) error: reply status code was N:\n{json}" (GRAPH-FACTS §6.2),
// so the code is read from the JSON body. tenant and clientID fill the message.
func fromSTS(err error, tenant, clientID string) error {
	if err == nil {
		return nil
	}
	if ctxErr := contextError(err); ctxErr != nil {
		return ctxErr
	}
	if _, ok := AsError(err); ok {
		return err
	}
	text := err.Error()
	var body stsBody
	status := 0
	if m := regexp.MustCompile(`reply status code was (\d+)`).FindStringSubmatch(text); m != nil {
		status, _ = strconv.Atoi(m[1])
	}
	if i := strings.Index(text, "{"); i >= 0 {
		_ = json.Unmarshal([]byte(text[i:strings.LastIndex(text, "}")+1]), &body)
	}
	code := 0
	if len(body.ErrorCodes) > 0 {
		code = body.ErrorCodes[0]
	} else if m := aadstsRe.FindStringSubmatch(text); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	desc, _, _ := strings.Cut(body.ErrorDescription, "\r\n")
	e := &Error{Status: status, RequestID: body.TraceID, Err: err}
	if code != 0 {
		e.Code = fmt.Sprintf("AADSTS%d", code)
	}
	switch code {
	case 7000215:
		e.Kind, e.Message = KindSecret, "Microsoft rejected the client secret."
		e.NextStep = "Paste the secret's Value (shown once when it was created), not its Secret ID. If the Value is lost, create a new secret."
	case 7000222:
		e.Kind, e.Message = KindSecret, "The client secret has expired."
		e.NextStep = "Choose \"Replace an expired secret\" to create a new one and store it."
	case 700016:
		e.Kind, e.Message = KindNotFound, fmt.Sprintf("The application %s was not found in tenant %s.", clientID, tenant)
		e.NextStep = "Check the Application (client) ID and the Directory (tenant) ID, and that you are using the right cloud."
	case 90002:
		e.Kind, e.Message = KindNotFound, fmt.Sprintf("The tenant %q was not found.", tenant)
		e.NextStep = "Check the Directory (tenant) ID or domain, and the cloud (Global, US Government, China)."
	case 900023:
		e.Kind, e.Field, e.Message = KindInput, "tenant", fmt.Sprintf("%q is not a tenant ID or domain name.", tenant)
		e.NextStep = "Enter the Directory (tenant) ID (a GUID) or a verified domain such as contoso.com."
	case 700027:
		e.Kind, e.Message = KindSecret, "Microsoft does not know the certificate the app signed with."
		e.NextStep = "Upload the certificate to the app registration, or check its thumbprint."
	case 7000229:
		e.Kind, e.Message = KindNotFound, "The app has no service principal (enterprise application) in this tenant."
		e.NextStep = "Run New setup again: it creates the missing service principal."
	case 65001, 65004, 90094, 90095:
		e.Kind, e.Message = KindPermission, "Consent was not given for the permissions the wizard needs to sign in."
		e.NextStep = "Sign in with an account that can consent (Global Administrator, Privileged Role Administrator, Application Administrator or Cloud Application Administrator), or ask one to approve the request."
	case 50020, 50034, 50053, 50057, 50126:
		e.Kind, e.Message = KindSignIn, "That account cannot sign in to this tenant."
		e.NextStep = "Sign in with a work account of the tenant you are setting up."
	case 7000112:
		e.Kind, e.Message = KindPermission, "The sign-in application is disabled in this tenant."
		e.NextStep = "Ask an administrator to enable it, or choose another sign-in client ID."
	default:
		switch {
		case body.Error == "access_denied" || strings.Contains(text, "access_denied"):
			e.Kind, e.Message = KindSignIn, "Sign-in was cancelled or declined."
			e.NextStep = "Sign in again and accept the permissions requested."
		case body.Error == "expired_token" || body.Error == "authorization_declined":
			e.Kind, e.Message = KindSignIn, "The sign-in code expired or was declined."
			e.NextStep = "Start the sign-in again."
		case status == 429 || status >= 500:
			e.Kind, e.Message = KindUnavailable, "Microsoft's sign-in service did not answer properly."
			e.NextStep = "Try again in a few minutes."
		case certProblem(err) != "":
			e.Kind, e.Message, e.NextStep = KindUnavailable, "The sign-in service's certificate is not trusted: "+certProblem(err)+".", nextStepCert
		case isNetwork(err):
			e.Kind, e.Message = KindUnavailable, "Could not reach Microsoft's sign-in service."
			e.NextStep = "Check the network connection, proxy and firewall, then try again."
		default:
			e.Kind, e.Message = KindSignIn, "Sign-in failed."
			if desc != "" {
				// Microsoft's own sentence without its "AADSTSnnnn: " prefix (the code is in e.Code).
				e.Message = "Sign-in failed: " + strings.TrimSpace(strings.TrimPrefix(desc, e.Code+":"))
			}
			e.NextStep = "Try again; if it keeps failing, send the activity log to support."
		}
	}
	return e
}

// fromGraph turns a Graph SDK error into an *Error with a next step.
func fromGraph(err error, what string) error {
	if err == nil {
		return nil
	}
	if ctxErr := contextError(err); ctxErr != nil {
		return ctxErr
	}
	if _, ok := AsError(err); ok {
		return err
	}
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		if p := certProblem(err); p != "" {
			return &Error{Kind: KindUnavailable, Message: what + ": Microsoft Graph's certificate is not trusted: " + p + ".", NextStep: nextStepCert, Err: err}
		}
		if isNetwork(err) {
			return &Error{Kind: KindUnavailable, Message: what + ": Microsoft Graph could not be reached.",
				NextStep: "Check the network connection and try again; nothing is lost, the wizard resumes where it stopped.", Err: err}
		}
		return &Error{Kind: KindInternal, Message: what + ": " + err.Error(), Err: err}
	}
	e := &Error{Status: oe.ResponseStatusCode, Err: err}
	msg := ""
	if me := oe.GetErrorEscaped(); me != nil {
		e.Code = deref(me.GetCode())
		msg = deref(me.GetMessage())
		if ie := me.GetInnerError(); ie != nil {
			e.RequestID = deref(ie.GetRequestId())
		}
	}
	e.Message = what + ": " + msg
	switch {
	case e.Code == "Authorization_RequestDenied" || e.Code == "Authorization_IdentityNotFound":
		e.Kind, e.NextStep = KindPermission, "The signed-in account or the app lacks the permission for this. See what the wizard says about your roles, or ask a Global Administrator."
	case e.Code == "ErrorAccessDenied" && strings.Contains(msg, "AccessPolicy"):
		e.Kind, e.NextStep = KindScoping, "Exchange mailbox scoping refuses this mailbox for the app. Add the mailbox to the scoping group, or choose one that is in it."
	case e.Code == "ErrorAccessDenied" || e.Code == "AccessDenied" || e.Code == "accessDenied":
		e.Kind, e.NextStep = KindPermission, "The app has not been granted this permission, or the grant has not reached Exchange yet. Grant admin consent and test again in a few minutes."
	case e.Code == "MailboxNotEnabledForRESTAPI":
		e.Kind, e.NextStep = KindMailbox, "This account has no Exchange Online mailbox (or it is on-premises). Choose a licensed or shared mailbox."
	case e.Code == "ErrorInvalidUser":
		e.Kind, e.NextStep = KindNotFound, "Check the mailbox address."
	case e.Code == "InvalidAuthenticationToken":
		e.Kind, e.NextStep = KindSignIn, "Sign in again."
	case e.Status == 429:
		e.Kind, e.NextStep = KindThrottled, "Microsoft is throttling requests. Wait a few minutes and try again."
	case e.Status == 404 || e.Code == "Request_ResourceNotFound":
		e.Kind, e.NextStep = KindNotFound, "The object may have been deleted, or Entra has not caught up yet; run the wizard again to re-check."
	case e.Status >= 500:
		e.Kind, e.NextStep = KindUnavailable, "Microsoft Graph had a problem. Try again in a few minutes."
	case strings.Contains(msg, "lifetime") && strings.Contains(strings.ToLower(msg), "policy"):
		e.Kind, e.NextStep = KindPolicy, "Your tenant limits how long a secret may live. Choose a shorter expiry or use a certificate."
	default:
		e.Kind, e.NextStep = KindInternal, "Try again; if it keeps failing, send the activity log to support."
	}
	return e
}

// graphCode returns the Graph error code and message of err, if it is a Graph error.
func graphCode(err error) (code, message string, status int) {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		if me := oe.GetErrorEscaped(); me != nil {
			return deref(me.GetCode()), deref(me.GetMessage()), oe.ResponseStatusCode
		}
		return "", "", oe.ResponseStatusCode
	}
	return "", "", 0
}

func contextError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindCancelled, Message: "Cancelled.", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: KindUnavailable, Message: "Gave up waiting for Microsoft.", NextStep: "Try again; nothing is lost.", Err: err}
	}
	return nil
}

// nextStepCert is what to do about an untrusted server certificate: on
// company networks usually a TLS-inspecting proxy.
const nextStepCert = "If your network inspects encrypted traffic (a proxy or firewall), its certificate must be trusted by this computer: ask your network team. For a test tenant at custom endpoints, set M365WIZARD_CA_FILE to its CA certificate."

// certProblem says why a server certificate was refused ("" when err is not
// about one).
func certProblem(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		host     x509.HostnameError
		invalid  x509.CertificateInvalidError
		verifErr *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknown):
		return "it is signed by an unknown authority"
	case errors.As(err, &host):
		return "it is not for " + host.Host
	case errors.As(err, &invalid):
		return invalid.Error()
	case errors.As(err, &verifErr):
		return verifErr.Err.Error()
	}
	msg := err.Error() // MSAL flattens some errors to text
	for _, s := range []string{"certificate signed by unknown authority", "x509: ", "tls: failed to verify certificate"} {
		if i := strings.Index(msg, s); i >= 0 {
			return strings.TrimPrefix(msg[i:], "tls: failed to verify certificate: ")
		}
	}
	return ""
}

// isNetwork reports a failure of the connection rather than an answer from
// Microsoft: timeouts, resets, refused or closed connections, and HTTP/2 stream
// resets (what a dropped connection looks like through a proxy on HTTP/2).
func isNetwork(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection reset", "connection refused", "broken pipe", "EOF", "stream error", "GOAWAY", "server closed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
