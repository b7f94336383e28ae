package db

// SharePaymentHook is the hook PayShare and ConfirmCash give a share's
// payment, for tests that pay a share as the pay path does.
func SharePaymentHook(s Split, sh Share, method string) TransferHook {
	return sharePayment(s, sh, method, sh.Left())
}
