package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Describe writes what another process needs to use this sandbox: the
// environment lines to paste, the CA file and the seeded accounts. caFile is
// where the CA certificate was written ("" to leave that line out).
func (s *Server) Describe(w io.Writer, caFile string) {
	s.mu.Lock()
	t := s.order[0]
	type acct struct{ upn, what string }
	var accts []acct
	for _, u := range t.Users {
		what := ""
		for _, r := range u.Roles {
			what = roleNames[r]
		}
		if what == "" && len(u.EligibleRoles) > 0 {
			what = roleNames[u.EligibleRoles[0]] + " (eligible through PIM, not active)"
		}
		switch {
		case what != "":
		case u.Mailbox == MailboxShared:
			what = "shared mailbox"
		case u.Mailbox == MailboxNone:
			what = "no mailbox"
		default:
			what = "no admin role"
		}
		if len(accts) < len(DefaultPeople) {
			accts = append(accts, acct{u.UserPrincipalName, what})
		}
	}
	name, id, domain, users := t.DisplayName, t.ID, t.DefaultDomain(), len(t.Users)
	s.mu.Unlock()

	fmt.Fprintf(w, "Simulated Microsoft 365 tenant %q is running (no Microsoft account needed).\n", name)
	fmt.Fprintf(w, "  Directory (tenant) ID: %s\n  Verified domain:       %s\n  Users:                 %d\n\n", id, domain, users)
	fmt.Fprintln(w, "Point m365wizard at it from another terminal:")
	fmt.Fprintf(w, "  export M365WIZARD_LOGIN_URL=%s\n", s.LoginURL())
	fmt.Fprintf(w, "  export M365WIZARD_GRAPH_URL=%s\n", s.GraphURL())
	if caFile != "" {
		fmt.Fprintf(w, "  export M365WIZARD_CA_FILE=%s\n", caFile)
		fmt.Fprintf(w, "  export SSL_CERT_FILE=%s\n", caFile)
	}
	fmt.Fprintln(w, "\nAccounts you can sign in as (the sandbox's sign-in page lists them; no passwords):")
	for _, a := range accts {
		fmt.Fprintf(w, "  %-28s %s\n", a.upn, a.what)
	}
	fmt.Fprintf(w, "\nDevice code sign-in: open %s/devicelogin and enter the code shown.\n", s.LoginURL())
}

// Serve runs a sandbox until ctx ends: it starts the hosts, writes the CA
// certificate into dir (created if missing) and describes the endpoints on w.
func Serve(ctx context.Context, opts Options, dir string, w io.Writer) error {
	s, err := Start(opts)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	caFile := filepath.Join(dir, "sandbox-ca.pem")
	if err := s.WriteCAFile(caFile); err != nil {
		return fmt.Errorf("sandbox: writing the CA certificate: %w", err)
	}
	s.Describe(w, caFile)
	fmt.Fprintln(w, "\nPress Ctrl+C to stop.")
	<-ctx.Done()
	fmt.Fprintln(w, "Sandbox stopped.")
	return nil
}
