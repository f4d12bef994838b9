package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/wizard"
)

// domainsScreen: a profile's domain filter (QuickHelp's approved domains, the
// SaaS connector's Domains field), one per row, "*" for all; the number of
// users it covers is previewed as the admin types (debounced, as the
// signed-in admin), and Next counts them for the record.
type domainsScreen struct {
	base
	w       *Window
	domains *widget.Entry
	preview *widget.Label
	outcome *fyne.Container
	box     *fyne.Container

	gen       int
	stopTimer func() bool
	stopCount context.CancelFunc
}

func newDomains(w *Window) *domainsScreen { return &domainsScreen{w: w} }

func (s *domainsScreen) title() string { return s.w.stepTitle(wizard.StepDomains, "Domains") }

func (s *domainsScreen) intro() string {
	if p := profileOf(s.w.eng.State()); p != nil {
		if p.Help.Domains != "" {
			return p.Help.Domains
		}
		return p.DomainFilter.Text
	}
	return "The e-mail domains whose users the product takes."
}

func (s *domainsScreen) focus() fyne.Focusable { return s.domains }

func (s *domainsScreen) view() fyne.CanvasObject {
	st := s.w.eng.State()
	p := profileOf(st)
	s.domains = widget.NewMultiLineEntry()
	s.domains.SetPlaceHolder("*\nor one domain per row, e.g. contoso.com")
	s.domains.SetMinRowsVisible(4)
	s.domains.OnChanged = s.changed
	s.preview = widget.NewLabel("")
	s.preview.Wrapping = fyne.TextWrapWord
	s.preview.TextStyle = fyne.TextStyle{Bold: true}
	s.outcome = container.NewVBox()
	label := "Domains"
	who := ""
	if p != nil {
		label = labelOr(p.DomainFilter.Label, label)
		switch p.DomainFilter.SetBy {
		case "vendor":
			who = p.Product + " keeps this list: give it to them (your " + p.Product + " contact confirms it). The wizard only counts the users it covers."
		case "product":
			who = "You type this list into " + p.Product + "'s settings; the wizard counts the users it covers and shows it again at the end."
		}
	}
	s.box = container.NewVBox(formRow(label, s.domains, s.errs.at("domains"), s.preview))
	if p != nil && p.DomainFilter.Text != "" && p.Help.Domains != "" && p.DomainFilter.Text != p.Help.Domains {
		s.box.Add(para(p.DomainFilter.Text))
	}
	if who != "" {
		s.box.Add(para(who))
	}
	if st.Admin != nil && len(st.Admin.Domains) > 0 {
		s.box.Add(para("Domains of " + orgName(st) + ": " + strings.Join(st.Admin.Domains, ", ")))
	}
	s.box.Add(s.outcome)
	return s.box
}

func (s *domainsScreen) load(st *wizard.State) {
	s.domains.SetText(strings.Join(st.Domains, "\n"))
}

// list is the domains typed, one per row (commas and spaces work too).
func (s *domainsScreen) list() []string {
	return strings.FieldsFunc(s.domains.Text, func(r rune) bool {
		return r == '\n' || r == '\r' || r == ',' || r == ';' || r == ' ' || r == '\t'
	})
}

func (s *domainsScreen) apply(st *wizard.State) { st.Domains = s.list() }

// changed previews the count after a pause in typing.
func (s *domainsScreen) changed(string) {
	if s.stopTimer != nil {
		s.stopTimer()
	}
	s.gen++
	gen := s.gen
	list := s.list()
	if len(list) == 0 {
		s.preview.SetText("")
		return
	}
	s.stopTimer = s.w.later(searchDelay, func() {
		if gen == s.gen && s.w.scr == s && s.w.eng != nil && !s.w.busy { // still on this screen, no step running
			s.count(gen, list)
		}
	})
}

func (s *domainsScreen) count(gen int, list []string) {
	w := s.w
	e := w.eng
	if e == nil {
		return
	}
	if s.stopCount != nil {
		s.stopCount()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	s.stopCount = cancel
	s.preview.SetText("Counting the users…")
	go func() {
		c, err := e.PreviewDomains(ctx, list)
		cancel()
		w.post(func() {
			if gen != s.gen || w.scr != s {
				return
			}
			if err != nil {
				msg, _ := explain(err)
				s.preview.SetText(msg)
				return
			}
			s.preview.SetText(countText(c))
		})
	}()
}

// countText is the preview in a sentence.
func countText(c *graphops.DomainCount) string {
	if c == nil {
		return ""
	}
	if sum := c.Summary(); sum != "" {
		return sum
	}
	return itoa(c.Users) + " users"
}

func (s *domainsScreen) action(*wizard.State) string   { return "Count the users" }
func (s *domainsScreen) retry(st *wizard.State) string { return s.action(st) }
func (s *domainsScreen) busyText(*wizard.State) string {
	return "Counting the users the list covers…"
}

func (s *domainsScreen) setBusy(b bool) {
	if b && s.stopTimer != nil {
		s.stopTimer() // the step counts them itself
	}
	if b {
		s.domains.Disable()
	} else {
		s.domains.Enable()
	}
}

func (s *domainsScreen) result(st *wizard.State) bool {
	c := st.DomainCount
	if c == nil {
		return false
	}
	s.outcome.Objects = []fyne.CanvasObject{widget.NewCard("", "", container.NewBorder(nil, nil,
		widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil, bold(countText(c))))}
	s.outcome.Refresh()
	return true
}

// previewText is what the preview says (tests).
func (s *domainsScreen) previewText() string { return s.preview.Text }
