package db

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// AddMembersEvent writes a members event of the thread in tx, as a use case
// would inside its transaction.
func AddMembersEvent(ctx context.Context, tx sqlx.ExtContext, threadID int64) error {
	return addEvent(ctx, tx, threadID, EventMembers, 0, 0)
}
