package wizard

import (
	"context"
	"fmt"
	"os"

	"m365wizard/graphops"
)

// LiveOptions wires the engine to Microsoft, or to a tenant at custom
// endpoints (M365WIZARD_LOGIN_URL / M365WIZARD_GRAPH_URL, e.g. the sandbox).
type LiveOptions struct {
	Getenv   func(string) string // os.Getenv when nil
	Trust    graphops.TrustConfig
	ClientID string                            // sign-in client; Graph Command Line Tools when empty
	OpenURL  func(url string) error            // browser sign-in; the system browser when nil
	ShowCode func(p graphops.DeviceCodePrompt) // device code sign-in; required for that method
}

// LiveDeps returns Deps whose Cloud, SignIn and TestSettings go to Microsoft
// through graphops. The caller adds Profile, Store, Progress and Log.
func LiveDeps(o LiveOptions) Deps {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cloud := func(name string) (graphops.Cloud, error) { return graphops.ResolveCloud(name, getenv) }
	return Deps{
		Cloud: cloud,
		SignIn: func(ctx context.Context, r SignInRequest) (Session, error) {
			so := graphops.SignInOptions{Cloud: r.Cloud, Tenant: r.Tenant, ClientID: o.ClientID,
				HTTPClient: graphops.NewHTTPClient(r.Cloud, o.Trust), Permissions: r.Permissions, OpenURL: o.OpenURL}
			switch r.Method {
			case "", "browser":
				return graphops.SignInInteractive(ctx, so)
			case "device-code":
				if o.ShowCode == nil {
					return nil, fmt.Errorf("wizard: device code sign-in needs a way to show the code")
				}
				return graphops.SignInDeviceCode(ctx, so, o.ShowCode)
			}
			return nil, &graphops.Error{Kind: graphops.KindInput, Field: "sign-in", Message: "Sign in with browser or device-code."}
		},
		TestSettings: func(ctx context.Context, t graphops.TestOptions) (*graphops.TestReport, error) {
			if t.HTTPClient == nil {
				t.HTTPClient = graphops.NewHTTPClient(t.Cloud, o.Trust)
			}
			return graphops.TestSettings(ctx, t)
		},
	}
}
