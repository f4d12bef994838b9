package ui

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/graphops/exchange"
	"m365wizard/wizard"
	"m365wizard/wizard/profile"
)

// mailboxSearcher is the part of a signed-in session the search needs
// (*graphops.Session has it).
type mailboxSearcher interface {
	SearchMailboxes(ctx context.Context, query string, max int) ([]graphops.MailboxMatch, error)
}

// searchDelay is how long the search waits for the admin to stop typing.
var searchDelay = 300 * time.Millisecond

const searchMax = 25

// mailboxScreen: a server-side mailbox search (debounced; fine on a tenant of
// 100,000 users), the chosen list, the way to limit access, the generated
// PowerShell with copy and save; Skip with a plain warning.
type mailboxScreen struct {
	base
	w *Window
	p *profile.Profile

	search     *entry
	searching  *widget.Label
	results    *fyne.Container
	found      []graphops.MailboxMatch
	addButtons []*widget.Button // one per result (tests)
	chosen     []string
	chosenBox  *fyne.Container
	mode       *widget.RadioGroup
	modes      map[string]exchange.Mode // radio label -> mode
	explain    *fyne.Container
	script     *widget.Entry
	scriptBox  *fyne.Container
	skip       *widget.Button
	box        *fyne.Container
	sandboxRun *widget.Button // --sandbox: run the script as the Exchange administrator

	gen        int
	stopTimer  func() bool
	stopSearch context.CancelFunc
}

func newMailbox(w *Window) *mailboxScreen {
	return &mailboxScreen{w: w, modes: map[string]exchange.Mode{}}
}

func (s *mailboxScreen) title() string { return "Mailbox access" }
func (s *mailboxScreen) intro() string {
	s.p = profileOf(s.w.eng.State())
	if s.p != nil && s.p.Help.Scoping != "" {
		return "Steps 4 and 5 of the guide. " + s.p.Help.Scoping
	}
	return "Limit the mailboxes the app may use."
}

func (s *mailboxScreen) focus() fyne.Focusable { return s.search }

func (s *mailboxScreen) perms(st *wizard.State) []string {
	if s.p == nil {
		return nil
	}
	return exchange.Scoped(s.p.AppRoles(st.Features))
}

func (s *mailboxScreen) view() fyne.CanvasObject {
	w := s.w
	st := w.eng.State()
	s.search = newEntry(w)
	s.search.SetPlaceHolder("Search by name or address, e.g. helpdesk")
	s.search.OnChanged = s.queryChanged
	s.search.OnSubmitted = func(string) { s.addTyped() }
	// The result count at full contrast (LowImportance was barely readable
	// in the dark theme).
	s.searching = widget.NewLabel("")
	s.searching.TextStyle = fyne.TextStyle{Italic: true}
	s.results = container.NewVBox()
	s.chosenBox = container.NewVBox()

	var labels []string
	for _, c := range exchange.Choices(productOf(st), s.perms(st)) {
		labels = append(labels, c.Title)
		s.modes[c.Title] = c.Mode
	}
	s.explain = container.NewVBox()
	s.mode = widget.NewRadioGroup(labels, func(string) { s.modeChanged() })
	s.script = widget.NewMultiLineEntry()
	s.script.TextStyle = fyne.TextStyle{Monospace: true}
	s.script.Wrapping = fyne.TextWrapOff
	s.script.SetMinRowsVisible(12)
	copyScript := widget.NewButtonWithIcon("Copy script", theme.ContentCopyIcon(), func() { w.app.Clipboard().SetContent(s.script.Text) })
	saveScript := widget.NewButtonWithIcon("Save as .ps1…", theme.DocumentSaveIcon(), s.saveScript)
	s.scriptBox = container.NewVBox(
		bold("Exchange Online PowerShell"),
		para("Run it in PowerShell 7 as an Exchange administrator (it installs nothing; it asks you to sign in to Exchange Online). "+
			"The changes take "+exchange.Delay+" to reach Microsoft Graph; Test Settings checks them later."),
		s.script, container.NewHBox(copyScript, saveScript))
	s.skip = widget.NewButton("Skip: no limit", func() {
		d := dialog.NewConfirm("Skip mailbox access?",
			"Without a limit, the app can read and send mail as EVERY mailbox in "+orgName(st)+", not just "+productOf(st)+"'s.\n"+
				"You can limit it later: run New setup again and choose the mailboxes.",
			func(ok bool) {
				if !ok {
					return
				}
				if _, label := s.modeLabel(exchange.ModeNone); label != "" {
					s.mode.SetSelected(label)
				}
				w.next()
			}, w.win)
		d.SetConfirmText("Skip")
		d.SetDismissText("Go back")
		d.Show()
	})

	s.box = container.NewVBox(
		heading2("1. Which mailboxes may "+productOf(st)+" use?"),
		s.search, s.searching, s.results,
		bold("Chosen mailboxes"), s.chosenBox, s.errs.at("mailbox"),
		widget.NewSeparator(),
		heading2("2. How to limit the app to them"),
		s.mode, s.errs.at("scoping"), s.explain,
		s.scriptBox,
		container.NewHBox(s.skip),
	)
	return s.box
}

func (s *mailboxScreen) modeLabel(m exchange.Mode) (exchange.Mode, string) {
	for l, x := range s.modes {
		if x == m {
			return x, l
		}
	}
	return "", ""
}

func (s *mailboxScreen) load(st *wizard.State) {
	s.chosen = append([]string(nil), st.Mailboxes...)
	s.showChosen()
	m := exchange.ModeAccessPolicy
	if st.Scoping != "" {
		if pm, err := exchange.ParseMode(st.Scoping); err == nil {
			m = pm
		}
	}
	if _, l := s.modeLabel(m); l != "" {
		s.mode.SetSelected(l)
	}
	s.modeChanged()
}

func (s *mailboxScreen) apply(st *wizard.State) {
	st.Mailboxes = append([]string(nil), s.chosen...)
	st.Scoping = string(s.selectedMode())
}

func (s *mailboxScreen) selectedMode() exchange.Mode {
	if m, ok := s.modes[s.mode.Selected]; ok {
		return m
	}
	return exchange.ModeNone
}

// --- search -------------------------------------------------------------------

// queryChanged waits for a pause in typing, then searches on the server.
func (s *mailboxScreen) queryChanged(q string) {
	if s.stopTimer != nil {
		s.stopTimer()
	}
	s.gen++
	gen := s.gen
	if strings.TrimSpace(q) == "" {
		s.searching.SetText("")
		s.showResults(nil)
		return
	}
	s.stopTimer = s.w.later(searchDelay, func() {
		if gen == s.gen {
			s.runSearch(gen, q)
		}
	})
}

func (s *mailboxScreen) runSearch(gen int, q string) {
	w := s.w
	sess, ok := w.lastSession().(mailboxSearcher)
	if !ok {
		s.searching.SetText("Searching needs the sign-in of this run; type a full address and press Enter to add it.")
		return
	}
	if s.stopSearch != nil {
		s.stopSearch()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	s.stopSearch = cancel
	s.searching.SetText("Searching…")
	go func() {
		found, err := sess.SearchMailboxes(ctx, q, searchMax)
		cancel()
		w.post(func() {
			if gen != s.gen {
				return // a newer query is on its way
			}
			if err != nil {
				msg, _ := explain(err)
				s.searching.SetText("The search failed: " + msg)
				return
			}
			switch {
			case len(found) == 0:
				s.searching.SetText("No mailbox matches \"" + q + "\".")
			case len(found) == searchMax:
				s.searching.SetText("The first " + itoa(searchMax) + " matches; type more to narrow them down.")
			default:
				s.searching.SetText(itoa(len(found)) + " found.")
			}
			s.showResults(found)
		})
	}()
}

func (s *mailboxScreen) showResults(found []graphops.MailboxMatch) {
	s.found = found
	s.addButtons = nil
	s.results.Objects = nil
	for _, m := range found {
		m := m
		add := widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), func() { s.add(m.Mail) })
		if slices.ContainsFunc(s.chosen, func(c string) bool { return strings.EqualFold(c, m.Mail) }) {
			add.Disable()
		}
		s.addButtons = append(s.addButtons, add)
		s.results.Add(container.NewBorder(nil, nil, nil, add, widget.NewLabel(m.DisplayName+"  <"+m.Mail+">")))
	}
	s.results.Refresh()
}

// addTyped adds what the admin typed when it is a whole address.
func (s *mailboxScreen) addTyped() {
	q := strings.TrimSpace(s.search.Text)
	if strings.Contains(q, "@") && !strings.ContainsAny(q, " \t") {
		s.add(q)
		s.search.SetText("")
	}
}

func (s *mailboxScreen) add(addr string) {
	if !slices.ContainsFunc(s.chosen, func(c string) bool { return strings.EqualFold(c, addr) }) {
		s.chosen = append(s.chosen, addr)
	}
	s.showChosen()
	s.showResults(s.found)
	s.modeChanged()
}

func (s *mailboxScreen) remove(addr string) {
	s.chosen = slices.DeleteFunc(s.chosen, func(c string) bool { return c == addr })
	s.showChosen()
	s.showResults(s.found)
	s.modeChanged()
}

func (s *mailboxScreen) showChosen() {
	s.chosenBox.Objects = nil
	if len(s.chosen) == 0 {
		s.chosenBox.Add(para("None yet: search above and press Add."))
	}
	for i, c := range s.chosen {
		c := c
		label := c
		if i == 0 {
			label += "   (Test Settings uses this one)"
		}
		rm := widget.NewButtonWithIcon("Remove", theme.ContentRemoveIcon(), func() { s.remove(c) })
		s.chosenBox.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.MailComposeIcon()), rm, widget.NewLabel(label)))
	}
	s.chosenBox.Refresh()
}

// --- the way to limit access and its script -----------------------------------

func (s *mailboxScreen) modeChanged() {
	st := s.w.eng.State()
	m := s.selectedMode()
	ex := exchange.Explain(m, productOf(st), s.perms(st))
	s.explain.Objects = []fyne.CanvasObject{para(ex.Summary)}
	for _, p := range ex.Points {
		s.explain.Add(para("• " + p))
	}
	if ex.Warning != "" {
		c, _ := warning(ex.Warning)
		s.explain.Add(c)
	}
	if m == exchange.ModeNone {
		c, _ := warning("Without a limit, the app can read and send mail as EVERY mailbox in " + orgName(st) + ", not just " + productOf(st) + "'s.")
		s.explain.Add(c)
	}
	s.explain.Refresh()
	s.updateScript()
}

// params is the script's input from the admin's choices, as the engine
// makes it (the choices are put on the State first: no step runs now).
func (s *mailboxScreen) params() exchange.Params {
	st := s.w.eng.State()
	s.apply(st)
	return s.w.eng.MailboxParams()
}

func (s *mailboxScreen) updateScript() {
	p := s.params()
	if !p.Mode.Scopes() {
		s.scriptBox.Hide()
		return
	}
	s.scriptBox.Show()
	if len(p.Mailboxes) == 0 {
		s.script.SetText("# Choose at least one mailbox above: the script adds them to the group.")
		return
	}
	text, err := exchange.Script(p)
	if err != nil {
		s.script.SetText("# " + err.Error())
		return
	}
	s.script.SetText(text)
}

func (s *mailboxScreen) saveScript() {
	p := s.params()
	data, err := exchange.PS1(p)
	if err != nil {
		s.w.problem.show(err)
		return
	}
	s.saveBytes(exchange.FileName(p), data)
}

func (s *mailboxScreen) saveBytes(name string, data []byte) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		defer wc.Close()
		if _, err := wc.Write(data); err != nil {
			s.w.problem.show(err)
			return
		}
		s.w.problem.info("Saved " + wc.URI().Path() + ". Run it in PowerShell 7: pwsh -File \"" + wc.URI().Name() + "\"")
	}, s.w.win)
	d.SetFileName(name)
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Show()
}

func (s *mailboxScreen) setBusy(b bool) {
	if b {
		s.search.Disable()
		s.mode.Disable()
		s.skip.Disable()
	} else {
		s.search.Enable()
		s.mode.Enable()
		s.skip.Enable()
	}
}

func (s *mailboxScreen) busyText(st *wizard.State) string {
	if st.Scoping == string(exchange.ModeRBAC) {
		return "Writing the script; taking the mail permissions off the app in Entra ID (Exchange grants them with RBAC for Applications)…"
	}
	return "Writing the Exchange Online script…"
}

// result shows the script the step wrote, to run in Exchange Online
// PowerShell, with copy and save.
func (s *mailboxScreen) result(st *wizard.State) bool {
	plan := st.Mailbox
	if plan == nil || plan.Script == "" {
		return false
	}
	w := s.w
	script := widget.NewMultiLineEntry()
	script.TextStyle = fyne.TextStyle{Monospace: true}
	script.Wrapping = fyne.TextWrapOff
	script.SetText(plan.Script)
	script.SetMinRowsVisible(16)
	copyScript := widget.NewButtonWithIcon("Copy script", theme.ContentCopyIcon(), func() { w.app.Clipboard().SetContent(plan.Script) })
	save := widget.NewButtonWithIcon("Save as .ps1…", theme.DocumentSaveIcon(), func() { s.saveBytes(plan.FileName, plan.PS1()) })
	buttons := container.NewHBox(copyScript, save)
	if canOpenPowerShell {
		path := filepath.Join(w.fe.ConfigDir, plan.FileName)
		if argv, ok := exchange.PowerShellLaunch(exec.LookPath, path); ok {
			buttons.Add(widget.NewButtonWithIcon("Open in PowerShell", theme.ComputerIcon(), func() {
				if err := os.WriteFile(path, plan.PS1(), 0o600); err != nil {
					w.problem.show(err)
					return
				}
				if err := openInPowerShell(argv); err != nil {
					w.problem.show(err)
					return
				}
				w.problem.info("Opened " + path + " in PowerShell: sign in there as an Exchange administrator and read its checks.")
			}))
		}
	}
	s.box.Objects = []fyne.CanvasObject{
		bold(plan.Explanation.Title),
		para(plan.Explanation.Summary),
		bold("Run this in PowerShell 7 (Exchange Online PowerShell), as the guide's steps 4 and 5 describe:"),
		script,
		buttons,
		para("It creates the mail-enabled security group with " + strings.Join(st.Mailboxes, ", ") + " and limits the app to its members. " +
			"Exchange takes " + exchange.Delay + " to apply it; Test Settings says whether it is in force yet."),
	}
	if len(plan.EntraLeftOut) > 0 {
		c, _ := warning("Taken off the app in Entra ID, because Exchange grants them to the app itself: " + strings.Join(plan.EntraLeftOut, ", ") + ".")
		s.box.Add(c)
	}
	if sb := w.fe.Sandbox; sb != nil && plan.Mode.Scopes() {
		params := plan.Params
		s.sandboxRun = widget.NewButtonWithIcon("Sandbox: run this script as the Exchange administrator", theme.MediaPlayIcon(), func() {
			w.run("Running the script in the simulated Exchange Online…", func(context.Context) error {
				return sb.ApplyMailboxScript("", params)
			}, func(err error) {
				if err != nil {
					w.problem.show(err)
					return
				}
				s.sandboxRun.SetText("Sandbox: the script ran (run it again)")
				lag := sb.CurrentBehaviour().MailboxScopeLag
				when := "at once"
				if lag > 0 {
					when = "after " + lag.Round(time.Second).String() + " (a real tenant takes " + exchange.Delay + ")"
				}
				w.problem.info("The sandbox ran the script as an Exchange administrator. Microsoft Graph follows " + when + ": Test Settings shows it.")
			})
		})
		s.box.Add(container.NewHBox(s.sandboxRun))
	}
	s.box.Refresh()
	return true
}
