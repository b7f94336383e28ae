package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"divvy/db"
	"divvy/views"
)

const remindEvery = db.RemindEvery

// timeNow is the clock the views' "reminded today" uses.
var timeNow = time.Now

// shareAction runs one of a share's one-tap actions, then answers with the
// split's card as the caller now sees it (htmx swaps it in place), or sends
// a browser without htmx back to the thread.
func shareAction(log *slog.Logger, store *db.DB, act func(r *http.Request, threadID, splitID, shareID, userID int64) error) http.Handler {
	return shareActionNotice(log, store, func(r *http.Request, g, s, sh, u int64) (string, error) {
		return "", act(r, g, s, sh, u)
	})
}

// shareActionNotice is shareAction whose action may leave a notice (a
// message key) for the person who tapped.
func shareActionNotice(log *slog.Logger, store *db.DB, act func(r *http.Request, threadID, splitID, shareID, userID int64) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		splitID, err1 := strconv.ParseInt(r.PathValue("split"), 10, 64)
		shareID, err2 := strconv.ParseInt(r.PathValue("share"), 10, 64)
		if err1 != nil || err2 != nil {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		notice, err := act(r, ms.thread.ID, splitID, shareID, currentUser(r).ID)
		if err != nil {
			var soon *db.RemindTooSoon
			if errors.As(err, &soon) {
				renderError(w, r, http.StatusTooManyRequests, views.T(r.Context(), "split.remind_too_soon", soon.Name, views.Clock(r.Context(), soon.Next)))
				return
			}
			fail(w, r, log, err)
			return
		}
		respondWithCard(w, r, log, store, ms.thread.ID, splitID, notice)
	})
}

// respondWithCard answers a card action: the card (and the notice, if any)
// for htmx, else back to the card in the thread with the notice.
func respondWithCard(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, threadID, splitID int64, notice string) {
	if !isHTMX(r) {
		q := ""
		if notice != "" {
			q = "?notice=" + notice
		}
		http.Redirect(w, r, threadPath(threadID)+q+"#split-"+strconv.FormatInt(splitID, 10), http.StatusSeeOther)
		return
	}
	s, err := store.SplitInThread(r.Context(), threadID, splitID)
	if err != nil {
		fail(w, r, log, err)
		return
	}
	if notice != "" {
		render(w, r, http.StatusOK, views.CardWithNotice(splitCard(r, s), views.T(r.Context(), notice)))
		return
	}
	render(w, r, http.StatusOK, views.SplitCardView(splitCard(r, s)))
}

func handleShareCash(log *slog.Logger, store *db.DB) http.Handler {
	return shareAction(log, store, func(r *http.Request, g, s, sh, u int64) error {
		return store.ClaimCash(r.Context(), g, s, sh, u)
	})
}

func handleShareConfirm(log *slog.Logger, store *db.DB) http.Handler {
	return shareAction(log, store, func(r *http.Request, g, s, sh, u int64) error {
		return store.ConfirmCash(r.Context(), g, s, sh, u)
	})
}

func handleShareReject(log *slog.Logger, store *db.DB) http.Handler {
	return shareAction(log, store, func(r *http.Request, g, s, sh, u int64) error {
		return store.RejectCash(r.Context(), g, s, sh, u)
	})
}

// handleShareRemind posts a reminder in the thread and mails it to the
// person's contact when they left one; when they did not, the collector is
// told that only the thread shows it.
// The mail carries the link to pay the share (the reminded person is a
// member of the thread, so the pay page opens on their device).
func handleShareRemind(log *slog.Logger, store *db.DB, notify db.Notifier, baseURL string) http.Handler {
	return shareActionNotice(log, store, func(r *http.Request, g, s, sh, u int64) (string, error) {
		mailed, err := remindOne(r, log, store, notify, baseURL, g, s, sh, u)
		if err != nil || mailed {
			return "", err
		}
		return "remind.thread_only", nil
	})
}

// remindOne posts a reminder of one share and mails it to the person's
// contact when they left one; mailed says whether it went out.
func remindOne(r *http.Request, log *slog.Logger, store *db.DB, notify db.Notifier, baseURL string, g, s, sh, u int64) (mailed bool, err error) {
	rem, err := store.Remind(r.Context(), g, s, sh, u)
	if err != nil {
		return false, err
	}
	who, split, share, to := rem.To, rem.Split, rem.Share, rem.Contact
	if to == "" || notify == nil {
		return false, nil
	}
	n := db.Notification{UserID: who.ID, To: to, Kind: db.NotifyReminder, Locale: who.Locale, Data: map[string]any{
		"from": currentUser(r).DisplayName, "amount": share.Left(), "title": split.Title,
		"link": baseURL + splitPath(split.ThreadID, split.ID) + "/pay"}}
	if err := notify.Notify(r.Context(), n); err != nil {
		// The reminder is in the thread already; a mail that did not
		// leave is logged, not an error for the collector.
		log.Warn("reminder not sent", "user_id", who.ID, "err", err)
		return false, nil
	}
	return true, nil
}

// handleSplitRemindAll reminds everyone who has not paid and was not
// reminded in the last day (each still at most once a day).
func handleSplitRemindAll(log *slog.Logger, store *db.DB, notify db.Notifier, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		split, err := splitFromPath(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if split.CollectorID != currentUser(r).ID {
			renderError(w, r, http.StatusForbidden, "remind.collector_only")
			return
		}
		n := 0
		for _, sh := range split.Shares {
			if sh.Status != db.ShareDue || sh.RemindedAt != nil && sh.RemindedAt.After(timeNow().Add(-remindEvery)) {
				continue
			}
			if _, err := remindOne(r, log, store, notify, baseURL, ms.thread.ID, split.ID, sh.ID, currentUser(r).ID); err != nil {
				var soon *db.RemindTooSoon
				if errors.As(err, &soon) {
					continue // reminded meanwhile
				}
				fail(w, r, log, err)
				return
			}
			n++
		}
		notice := "remind.all_none"
		if n > 0 {
			notice = "remind.all_done"
		}
		respondWithCard(w, r, log, store, ms.thread.ID, split.ID, notice)
	})
}
