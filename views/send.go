package views

// SendPage is the Send form: to whom (every other member, or the other one
// of a two-person thread), how much, what for, and the PIN. PaymentID is
// made when the form is first rendered, so a double tap sends once.
type SendPage struct {
	ThreadID   int64
	ThreadName string
	Direct     bool
	Currency   string
	People     []SendPerson
	PaymentID  string
	Card       string // "Visa ···· 4242"
	Form       Form
}

// SendPerson is someone money can be sent to.
type SendPerson struct {
	ID    int64
	Name  string
	Ready bool // payments set up: they can receive
}

// sendWith is the person a two-person thread's form sends to.
func (p SendPage) sendWith() (SendPerson, bool) {
	if p.Direct && len(p.People) == 1 {
		return p.People[0], true
	}
	return SendPerson{}, false
}

func (p SendPage) selected(id int64) bool { return p.Form.Value("to") == itoa(id) }
