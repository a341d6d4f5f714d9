package sqlstore

import (
	"fmt"
	"time"

	"github.com/kycgate/kycgate"
)

// CountVerifications counts verifications by provider and status, for
// Counts, from the rows themselves.
const CountVerifications = `SELECT provider, status, count(*) FROM verifications GROUP BY provider, status`

// Counts runs the metrics' totals through query: verifications by provider
// and status (with verifications, a query of provider, status and count
// such as CountVerifications), deliveries not yet delivered by destination
// and state with the oldest's creation, and fetch jobs by source and state.
func Counts(query Query, verifications string) (kycgate.Counts, error) {
	var c kycgate.Counts
	err := each(query, verifications, nil, func(rows Rows) error {
		var (
			v      kycgate.VerificationCount
			status string
		)
		if err := rows.Scan(&v.Provider, &status, &v.Count); err != nil {
			return err
		}
		v.Status = kycgate.Status(status)
		c.Verifications = append(c.Verifications, v)
		return nil
	})
	if err != nil {
		return c, err
	}
	err = each(query, `SELECT destination, state, count(*), min(created_at) FROM deliveries
		WHERE state != 'delivered' GROUP BY destination, state`, nil, func(rows Rows) error {
		var (
			d      kycgate.DeliveryCount
			state  string
			oldest any
		)
		if err := rows.Scan(&d.Destination, &state, &d.Count, &oldest); err != nil {
			return err
		}
		at, err := storedTime(oldest)
		if err != nil {
			return err
		}
		d.State, d.Oldest = kycgate.DeliveryState(state), at
		c.Deliveries = append(c.Deliveries, d)
		return nil
	})
	if err != nil {
		return c, err
	}
	err = each(query, `SELECT source, state, count(*) FROM fetches GROUP BY source, state`, nil, func(rows Rows) error {
		var (
			f     kycgate.FetchCount
			state string
		)
		if err := rows.Scan(&f.Source, &state, &f.Count); err != nil {
			return err
		}
		f.State = kycgate.FetchState(state)
		c.Fetches = append(c.Fetches, f)
		return nil
	})
	return c, err
}

// storedTime reads a time column as a store keeps it: Unix microseconds
// (SQLite) or a timestamp (PostgreSQL).
func storedTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case int64:
		return time.UnixMicro(t).UTC(), nil
	case time.Time:
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("a time stored as %T", v)
}
