package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/wizard"
	"m365wizard/wizard/profile"
)

// permissionsScreen: the guide's table (module, functionality, permission,
// type) as checkboxes, the minimum preselected, a one-line reason for each;
// "Show all Microsoft Graph permissions" searches the tenant's live list.
type permissionsScreen struct {
	base
	w       *Window
	p       *profile.Profile
	checks  map[string]*widget.Check // by feature key
	showAll *widget.Button
	box     *fyne.Container
}

func newPermissions(w *Window) *permissionsScreen {
	return &permissionsScreen{w: w, checks: map[string]*widget.Check{}}
}

func (s *permissionsScreen) title() string { return "API permissions" }
func (s *permissionsScreen) intro() string {
	if s.p = profileOf(s.w.eng.State()); s.p != nil && s.p.Help.Permissions != "" {
		return "Step 2 of the guide. " + s.p.Help.Permissions
	}
	return "Choose the Microsoft Graph application permissions the app gets."
}

func (s *permissionsScreen) view() fyne.CanvasObject {
	st := s.w.eng.State()
	s.box = container.NewVBox()
	if s.p == nil {
		s.box.Add(para("The integration profile could not be read."))
		return s.box
	}
	if st.Plan != nil && st.Plan.Existing != nil {
		s.box.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), nil,
			para("The app \""+st.Plan.Existing.DisplayName+"\" from an earlier run is reused (Application (client) ID "+st.Plan.Existing.AppID+").")))
	}
	weights := []float32{2.2, 3.2, 2, 1.3}
	head := func(t string) fyne.CanvasObject { return bold(t) }
	s.box.Add(newRow(weights, head("HelpMaster module"), head("Functionality"), head("Permission Required"), head("Permission Type")))
	s.box.Add(widget.NewSeparator())
	for _, f := range s.p.Features {
		f := f
		c := widget.NewCheck(f.Module, nil)
		if f.Required {
			c.SetChecked(true)
			c.Disable()
		}
		s.checks[f.Key] = c
		fn := container.NewVBox(para(f.Functionality))
		if f.Reason != "" {
			r := para(f.Reason)
			r.TextStyle = fyne.TextStyle{Italic: true}
			fn.Add(r)
		}
		perms := make([]fyne.CanvasObject, 0, len(f.ApplicationPermissions))
		for _, p := range f.ApplicationPermissions {
			l := widget.NewLabel(p)
			l.TextStyle = fyne.TextStyle{Monospace: true}
			perms = append(perms, l)
		}
		s.box.Add(newRow(weights, c, fn, container.NewVBox(perms...), widget.NewLabel("Application")))
	}
	s.box.Add(s.errs.at("features"))
	if s.p.Defaults.Text != "" {
		s.box.Add(bold(s.p.Defaults.Label))
		s.box.Add(para(s.p.Defaults.Text))
	}
	if scoped := s.p.ScopedPermissions(s.p.Defaults.Features); len(scoped) > 0 {
		s.box.Add(para("Mail and calendar permissions reach every mailbox of the organisation until you limit them on Mailbox access."))
	}
	s.showAll = widget.NewButtonWithIcon("Show all Microsoft Graph permissions", theme.SearchIcon(), s.showLiveList)
	if st.Plan == nil || st.Plan.Graph == nil {
		s.showAll.Disable()
	}
	s.box.Add(container.NewHBox(s.showAll))
	s.box.Add(para("Next registers the app (single tenant) with the ticked permissions, or updates the app from an earlier run."))
	return s.box
}

func (s *permissionsScreen) load(st *wizard.State) {
	for k, c := range s.checks {
		if !c.Disabled() {
			c.SetChecked(slices.Contains(st.Features, k))
		}
	}
}

func (s *permissionsScreen) apply(st *wizard.State) {
	if s.p == nil {
		return
	}
	var keys []string
	for _, f := range s.p.Features {
		if c := s.checks[f.Key]; c != nil && c.Checked {
			keys = append(keys, f.Key)
		}
	}
	st.Features = keys
}

func (s *permissionsScreen) action(*wizard.State) string { return "Register the app" }

func (s *permissionsScreen) busyText(st *wizard.State) string {
	return "Registering \"" + st.AppName + "\" with the chosen permissions, then its service principal…"
}

func (s *permissionsScreen) setBusy(b bool) {
	for _, f := range s.p.Features {
		if c := s.checks[f.Key]; c != nil && !f.Required {
			if b {
				c.Disable()
			} else {
				c.Enable()
			}
		}
	}
}

// showLiveList searches the tenant's own list of Graph application
// permissions (read from its Microsoft Graph service principal).
func (s *permissionsScreen) showLiveList() {
	st := s.w.eng.State()
	if st.Plan == nil || st.Plan.Graph == nil {
		return
	}
	g := st.Plan.Graph
	chosen := map[string]bool{}
	if s.p != nil {
		for _, r := range s.p.AppRoles(st.Features) {
			chosen[strings.ToLower(r)] = true
		}
	}
	var shown []graphops.Permission
	list := widget.NewList(func() int { return len(shown) },
		func() fyne.CanvasObject {
			v := widget.NewLabel("")
			v.TextStyle = fyne.TextStyle{Monospace: true}
			d := widget.NewLabel("")
			d.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, v, nil, d)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			c := o.(*fyne.Container)
			p := shown[i]
			v := c.Objects[1].(*widget.Label)
			name := p.Value
			if chosen[strings.ToLower(p.Value)] {
				name = "✔ " + name
			}
			v.SetText(name)
			c.Objects[0].(*widget.Label).SetText(p.DisplayName)
		})
	count := widget.NewLabel("")
	search := newEntry(s.w)
	search.SetPlaceHolder("Search, e.g. Mail or Calendars")
	filter := func(q string) {
		shown = g.Search(strings.TrimSpace(q))
		count.SetText(itoa(len(shown)) + " application permissions in this tenant's Microsoft Graph (✔ = this app gets it)")
		list.Refresh()
	}
	search.OnChanged = filter
	search.OnSubmitted = filter
	filter("")
	content := container.NewBorder(container.NewVBox(search, count,
		para("The table lists what HelpMaster needs; this is the tenant's live list, to look a permission up.")), nil, nil, nil, list)
	d := dialog.NewCustom("All Microsoft Graph application permissions", "Close", content, s.w.win)
	d.Resize(fyne.NewSize(760, 560))
	d.Show()
	s.w.win.Canvas().Focus(search)
}
