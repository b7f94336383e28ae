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
	// Request: the Request form instead (from whom, how much, what for; no
	// PIN: nothing moves until the other person pays).
	Request bool
	// Passkey offers "Confirm with fingerprint or face" before the PIN.
	Passkey PasskeyOffer
}

// action is where the form posts, and tab which money tab it is.
func (p SendPage) action() string {
	if p.Request {
		return threadURL(p.ThreadID, "/request")
	}
	return threadURL(p.ThreadID, "/send")
}

func (p SendPage) tab() string {
	if p.Request {
		return "request"
	}
	return "send"
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

// k is the key of a sentence of this form: send.* or ask.* (a request).
func (p SendPage) k(name string) string {
	if p.Request {
		return "ask." + name
	}
	return "send." + name
}
