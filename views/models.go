package views

// Layout is what every page's frame needs.
type Layout struct {
	Title  string
	User   *Viewer // nil when signed out
	Path   string  // where the language switcher returns to
	Notice string  // a one-off message shown above the content
	Meta   *Meta   // link previews and robots (pay links), nil for most pages
	// DevOutbox: this server keeps its mail at /dev/outbox (development,
	// no mail leaves), so "check your email" pages say where to look.
	DevOutbox bool
}

// Viewer is the signed-in person, as the frame shows them.
type Viewer struct {
	Name    string
	IsGuest bool
}

// Form carries what a person typed and what is wrong with it, so a form
// with problems is shown again with every value kept.
type Form struct {
	Values   map[string]string
	Problems map[string]string // field -> message key or sentence
	Error    string            // a problem with the whole form
}

// Value returns the typed value of a field.
func (f Form) Value(name string) string { return f.Values[name] }

// Problem returns the problem of a field, "" when none.
func (f Form) Problem(name string) string { return f.Problems[name] }

// ThreadItem is one line of the threads list.
type ThreadItem struct {
	ID       int64
	Name     string
	Currency string
	Members  int
}

// Home is the signed-in home page.
type Home struct {
	Name    string
	Threads []ThreadItem
}

// ErrorPage is a full-page error.
type ErrorPage struct {
	Status  int
	Message string
}
