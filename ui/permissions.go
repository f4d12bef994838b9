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
	"m365wizard/graphops/exchange"
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

	// Mailbox scoping chosen here, so RBAC for Applications leaves the
	// Exchange permissions out of Entra ID from the start.
	scoping *widget.RadioGroup
	modes   map[string]exchange.Mode
	viaExch map[string]*widget.Label // "granted by Exchange" notes, by permission (lower case)
	// A custom profile: the permissions the admin picks.
	picked    []string
	pickEntry *entry
	pickAdd   *widget.Button
	pickedBox *fyne.Container
}

func newPermissions(w *Window) *permissionsScreen {
	return &permissionsScreen{w: w, checks: map[string]*widget.Check{}, modes: map[string]exchange.Mode{}, viaExch: map[string]*widget.Label{}}
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
	if len(s.p.Features) > 0 {
		s.featureTable()
	}
	if s.p.Custom() {
		s.pickerView()
	}
	if len(s.p.Legacy) > 0 {
		s.box.Add(s.legacyView())
	}
	if s.p.MailboxScoping.Enabled {
		s.scopingView(st)
	}
	s.showAll = widget.NewButtonWithIcon("Show all Microsoft Graph permissions", theme.SearchIcon(), s.showLiveList)
	if st.Plan == nil || st.Plan.Graph == nil {
		s.showAll.Disable()
	}
	s.box.Add(container.NewHBox(s.showAll))
	s.box.Add(s.errs.at("permissions"))
	s.box.Add(para("Next registers the app (single tenant) with the ticked permissions, or updates the app from an earlier run."))
	return s.box
}

func (s *permissionsScreen) load(st *wizard.State) {
	for k, c := range s.checks {
		if !c.Disabled() {
			c.SetChecked(slices.Contains(st.Features, k))
		}
	}
	if s.p != nil && s.p.Custom() {
		s.picked = append([]string(nil), st.Permissions...)
		s.showPicked()
	}
	if s.scoping != nil {
		m := exchange.ModeAccessPolicy
		if pm, err := exchange.ParseMode(st.Scoping); err == nil && st.Scoping != "" {
			m = pm
		}
		for l, x := range s.modes {
			if x == m {
				s.scoping.SetSelected(l)
			}
		}
		s.scopingChanged()
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
	if s.p.Custom() {
		st.Permissions = append([]string(nil), s.picked...)
	}
	if s.scoping != nil {
		if m, ok := s.modes[s.scoping.Selected]; ok {
			st.Scoping = string(m)
		}
	}
}

func (s *permissionsScreen) action(*wizard.State) string { return "Register the app" }

func (s *permissionsScreen) busyText(st *wizard.State) string {
	return "Registering \"" + st.AppName + "\" with the chosen permissions, then its service principal…"
}

func (s *permissionsScreen) setBusy(b bool) {
	var ds []fyne.Disableable
	if s.scoping != nil {
		ds = append(ds, s.scoping)
	}
	if s.pickEntry != nil {
		ds = append(ds, s.pickEntry, s.pickAdd)
	}
	for _, d := range ds {
		if b {
			d.Disable()
		} else {
			d.Enable()
		}
	}
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
	custom := s.p != nil && s.p.Custom()
	mark := func() {
		clear(chosen)
		if s.p != nil {
			s.apply(st)
			for _, r := range s.p.AllAppRoles(st.Features, st.Permissions) {
				chosen[strings.ToLower(r)] = true
			}
		}
	}
	mark()
	var shown []graphops.Permission
	list := widget.NewList(func() int { return len(shown) },
		func() fyne.CanvasObject {
			v := widget.NewLabel("")
			v.TextStyle = fyne.TextStyle{Monospace: true}
			d := widget.NewLabel("")
			d.Truncation = fyne.TextTruncateEllipsis
			pick := widget.NewButton("Pick", nil)
			if !custom {
				pick.Hide()
			}
			return container.NewBorder(nil, nil, v, pick, d)
		},
		nil)
	list.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		c := o.(*fyne.Container)
		p := shown[i]
		v := c.Objects[1].(*widget.Label)
		name := p.Value
		on := chosen[strings.ToLower(p.Value)]
		if on {
			name = "✔ " + name
		}
		v.SetText(name)
		c.Objects[0].(*widget.Label).SetText(p.DisplayName)
		if b := c.Objects[2].(*widget.Button); custom {
			if on {
				b.SetText("Remove")
			} else {
				b.SetText("Pick")
			}
			value := p.Value
			b.OnTapped = func() {
				if on {
					s.unpick(value)
				} else {
					s.pick(value)
				}
				mark()
				list.Refresh()
			}
		}
	}
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
		para(liveListNote(s.p))), nil, nil, nil, list)
	d := dialog.NewCustom("All Microsoft Graph application permissions", "Close", content, s.w.win)
	d.Resize(fyne.NewSize(760, 560))
	d.Show()
	s.w.win.Canvas().Focus(search)
}

// featureTable is the guide's table: module (or feature), functionality,
// permission, type; the minimum ticked, a reason each.
func (s *permissionsScreen) featureTable() {
	weights := []float32{2.2, 3.2, 2, 1.3}
	head := func(t string) fyne.CanvasObject { return bold(t) }
	first := "Feature"
	for _, f := range s.p.Features {
		if f.Module != "" {
			first = s.p.Product + " module"
		}
	}
	s.box.Add(newRow(weights, head(first), head("Functionality"), head("Permission Required"), head("Permission Type")))
	s.box.Add(widget.NewSeparator())
	for _, f := range s.p.Features {
		label := f.Module
		if label == "" {
			label = f.Label
		}
		c := widget.NewCheck(label, nil)
		if f.Required {
			c.SetChecked(true)
			c.Disable()
		}
		s.checks[f.Key] = c
		fn := container.NewVBox()
		if f.Functionality != "" {
			fn.Add(para(f.Functionality))
		} else if f.Module != "" {
			fn.Add(para(f.Label))
		}
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
			if s.p.ExchangeScoped(p) {
				n := widget.NewLabel("Granted by Exchange (RBAC), not in Entra ID")
				n.Importance = widget.WarningImportance
				n.Wrapping = fyne.TextWrapWord
				n.Hide()
				s.viaExch[strings.ToLower(p)] = n
				perms = append(perms, n)
			}
		}
		s.box.Add(newRow(weights, c, fn, container.NewVBox(perms...), widget.NewLabel("Application")))
	}
	s.box.Add(s.errs.at("features"))
}

// pickerView is a custom profile's permission picker: type a name, or pick
// from the tenant's live list (Show all Microsoft Graph permissions).
func (s *permissionsScreen) pickerView() {
	cp := s.p.CustomPerms
	s.box.Add(heading2(labelOr(cp.Label, "Microsoft Graph application permissions")))
	if cp.Text != "" {
		s.box.Add(para(cp.Text))
	}
	s.pickEntry = newEntry(s.w)
	s.pickEntry.SetPlaceHolder("A permission name, e.g. User.Read.All")
	s.pickAdd = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), s.addTyped)
	s.pickEntry.OnSubmitted = func(string) { s.addTyped() }
	s.pickedBox = container.NewVBox()
	s.box.Add(container.NewBorder(nil, nil, nil, s.pickAdd, s.pickEntry))
	s.box.Add(bold("Picked"))
	s.box.Add(s.pickedBox)
	s.showPicked()
}

func (s *permissionsScreen) addTyped() {
	for _, name := range strings.FieldsFunc(s.pickEntry.Text, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		s.pick(name)
	}
	s.pickEntry.SetText("")
}

// pick adds a permission, in the tenant's spelling when its list has it.
func (s *permissionsScreen) pick(name string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return
	}
	if st := s.w.eng.State(); st.Plan != nil && st.Plan.Graph != nil {
		if r, ok := st.Plan.Graph.Role(name); ok {
			name = r.Value
		}
	}
	if !slices.ContainsFunc(s.picked, func(p string) bool { return strings.EqualFold(p, name) }) {
		s.picked = append(s.picked, name)
	}
	s.showPicked()
}

func (s *permissionsScreen) unpick(name string) {
	s.picked = slices.DeleteFunc(s.picked, func(p string) bool { return strings.EqualFold(p, name) })
	s.showPicked()
}

func (s *permissionsScreen) showPicked() {
	if s.pickedBox == nil {
		return
	}
	s.pickedBox.Objects = nil
	if len(s.picked) == 0 {
		s.pickedBox.Add(para("None yet: type a name above, or pick from Show all Microsoft Graph permissions."))
	}
	var g *graphops.GraphPermissions
	if st := s.w.eng.State(); st.Plan != nil {
		g = st.Plan.Graph
	}
	for _, name := range s.picked {
		name := name
		l := widget.NewLabel(name)
		l.TextStyle = fyne.TextStyle{Monospace: true}
		desc := widget.NewLabel("")
		desc.Truncation = fyne.TextTruncateEllipsis
		if g != nil {
			if r, ok := g.Role(name); ok {
				desc.SetText(r.DisplayName)
			} else {
				desc.SetText("not in this tenant's Microsoft Graph")
				desc.Importance = widget.DangerImportance
			}
		}
		rm := widget.NewButtonWithIcon("Remove", theme.ContentRemoveIcon(), func() { s.unpick(name) })
		s.pickedBox.Add(container.NewBorder(nil, nil, l, rm, desc))
	}
	s.pickedBox.Refresh()
}

// legacyView lists what the guide asks for that the wizard leaves out (a
// retired API), in the profile's words.
func (s *permissionsScreen) legacyView() fyne.CanvasObject {
	box := container.NewVBox(bold("In the guide, but not added"))
	for _, l := range s.p.Legacy {
		what := l.API + " > " + l.Permission
		if l.Type != "" {
			what += " (" + l.Type + ")"
		}
		line := what + ": " + l.Note
		if l.MappedTo != "" {
			line += " Added instead: Microsoft Graph > " + l.MappedTo + "."
		}
		c, _ := warning(line)
		box.Add(c)
	}
	return box
}

// scopingView chooses how mailbox access is limited, here already: with RBAC
// for Applications the Exchange permissions must not be granted in Entra ID.
func (s *permissionsScreen) scopingView(st *wizard.State) {
	var labels []string
	for _, c := range exchange.Choices(s.p.Product, s.p.MailboxScoping.Permissions) {
		if c.Mode == exchange.ModeNone {
			continue // Mailbox access offers it (Skip), with its warning
		}
		labels = append(labels, c.Title)
		s.modes[c.Title] = c.Mode
	}
	s.scoping = widget.NewRadioGroup(labels, func(string) { s.scopingChanged() })
	s.box.Add(bold("Mailbox access (chosen again on Mailbox access)"))
	s.box.Add(s.scoping)
	s.box.Add(para("With RBAC for Applications, Exchange grants the mail and calendar permissions itself, for the chosen mailboxes only, " +
		"so the app does not get them in Entra ID. Choose it here, before the app is registered."))
}

func (s *permissionsScreen) scopingChanged() {
	rbac := s.scoping != nil && s.modes[s.scoping.Selected] == exchange.ModeRBAC
	for _, l := range s.viaExch {
		l.Hidden = !rbac
		l.Refresh()
	}
}

// viaExchange reports whether the table marks a permission as granted by
// Exchange, not Entra ID (tests).
func (s *permissionsScreen) viaExchange(permission string) bool {
	l, ok := s.viaExch[strings.ToLower(permission)]
	return ok && l.Visible()
}

func liveListNote(p *profile.Profile) string {
	if p == nil {
		return "The tenant's live list, to look a permission up."
	}
	if p.Custom() {
		return "The tenant's live list: Pick adds a permission to the app, Remove takes it off again (✔ = the app gets it)."
	}
	return "The table lists what " + p.Product + " needs; this is the tenant's live list, to look a permission up."
}
