package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/wizard"
)

// stepList is the column on the left: the flow's steps, done (tick),
// current (arrow, bold) and to do (circle); skipped steps are greyed.
type stepList struct {
	box  *fyne.Container
	rows []stepRow
}

type stepRow struct {
	id    wizard.StepID
	state string // done, current, todo, skipped
	label *widget.Label
}

func newStepList() *stepList {
	return &stepList{box: container.NewVBox()}
}

// view is the list at a steady width, so the screen does not shift as the
// titles change.
func (l *stepList) view() fyne.CanvasObject {
	min := canvas.NewRectangle(color.Transparent)
	min.SetMinSize(fyne.NewSize(215, 0))
	return container.NewStack(min, l.box)
}

// set shows the steps; shown is the step whose screen is open (it is marked
// current even when the engine already moved past it).
func (l *stepList) set(steps []wizard.StepView, shown wizard.StepID) {
	l.box.Objects = nil
	l.rows = nil
	title := widget.NewLabel("M365 Setup Wizard")
	title.TextStyle = fyne.TextStyle{Bold: true}
	l.box.Add(title)
	if len(steps) == 0 {
		l.add("welcome", "Welcome", "current")
		l.box.Refresh()
		return
	}
	for _, s := range steps {
		if s.Skipped && s.ID != shown {
			continue // housekeeping steps that do not apply (and profiles without them)
		}
		state := "todo"
		switch {
		case s.ID == shown:
			state = "current"
		case s.Done:
			state = "done"
		case s.Skipped:
			state = "skipped"
		}
		l.add(s.ID, s.Title, state)
	}
	l.box.Refresh()
}

func (l *stepList) add(id wizard.StepID, title, state string) {
	icon := theme.RadioButtonIcon()
	lbl := widget.NewLabel(title)
	switch state {
	case "done":
		icon = theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case "current":
		icon = theme.NewPrimaryThemedResource(theme.NavigateNextIcon())
		lbl.TextStyle = fyne.TextStyle{Bold: true}
	case "skipped":
		icon = theme.NewDisabledResource(theme.RadioButtonIcon())
		lbl.Importance = widget.LowImportance
		lbl.Text = title + " (skipped)"
	}
	l.rows = append(l.rows, stepRow{id: id, state: state, label: lbl})
	l.box.Add(container.NewBorder(nil, nil, widget.NewIcon(icon), nil, lbl))
}

// states is the list as id=state pairs (for tests).
func (l *stepList) states() map[wizard.StepID]string {
	m := map[wizard.StepID]string{}
	for _, r := range l.rows {
		m[r.id] = r.state
	}
	return m
}
