package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/store/postgres"
)

func init() { extraCommands = append(extraCommands, newCopyCmd) }

func newCopyCmd() *cobra.Command {
	var from, to string
	var force bool
	cmd := &cobra.Command{
		Use:   "copy --from sqlite:PATH --to postgres://…",
		Short: "Copy a whole glint installation from SQLite to PostgreSQL, then check the copy",
		Long: "copy moves an installation up from SQLite: accounts, the journal, idempotency records, users, streams,\n" +
			"the catalog and its versions, gifts, streaks, purchases, API keys and settings, in one PostgreSQL\n" +
			"transaction. It refuses a target that holds data unless --force (which empties it first). Afterwards it\n" +
			"runs the ledger check on the target and compares every balance and the transaction count with the\n" +
			"source; any difference exits 1. Stop the glint servers writing to the source first.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			return copyInstallation(cmd.Context(), from, to, force, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source: sqlite:PATH (or a SQLite file path)")
	cmd.Flags().StringVar(&to, "to", "", "target: a PostgreSQL DSN postgres://…")
	cmd.Flags().BoolVar(&force, "force", false, "empty a target that already holds data before copying")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// copyColumn kinds: how a SQLite value becomes a PostgreSQL one.
const (
	cText     = iota // TEXT
	cTextNull        // TEXT or NULL
	cInt             // INTEGER
	cIntNull         // INTEGER or NULL
	cBool            // INTEGER 0/1 → boolean
	cTime            // INTEGER unix micros → timestamptz
	cTimeNull        // the same, or NULL
	cBytes           // BLOB → bytea
)

type copyTable struct {
	name  string
	cols  []string
	kinds []int
}

// copyTables are every table of an installation, referenced tables first.
var copyTables = []copyTable{
	{"accounts", []string{"id", "asset", "balance", "negative_ok"}, []int{cText, cText, cInt, cBool}},
	{"transactions", []string{"id", "kind", "ref", "user_a", "user_b", "created_at"}, []int{cInt, cText, cText, cTextNull, cTextNull, cTime}},
	{"postings", []string{"tx_id", "seq", "from_account", "to_account", "asset", "amount"}, []int{cInt, cInt, cText, cText, cText, cInt}},
	{"idempotency", []string{"key", "hash", "status", "response", "created_at"}, []int{cText, cText, cInt, cBytes, cTime}},
	{"users", []string{"id", "display_name", "country", "age_verified", "status", "created_at", "updated_at", "status_reason", "status_at", "restriction", "spend_cap"},
		[]int{cText, cText, cText, cBool, cText, cTime, cTime, cText, cTimeNull, cText, cInt}},
	{"streams", []string{"id", "creator_id", "title", "status", "started_at", "ended_at", "gifts", "coins", "milli"}, []int{cText, cText, cText, cText, cTime, cTimeNull, cInt, cInt, cInt}},
	{"stream_gifters", []string{"stream_id", "sender_id", "gifts", "coins"}, []int{cText, cText, cInt, cInt}},
	{"catalog_versions", []string{"version", "gift_id", "actor", "created_at"}, []int{cInt, cText, cText, cTime}},
	{"catalog_gifts", []string{"gift_id", "version", "name", "coins", "streakable", "diamond_rate", "active"}, []int{cText, cInt, cText, cInt, cBool, cText, cBool}},
	{"gifts", []string{"id", "stream_id", "sender_id", "creator_id", "gift_id", "catalog_version", "quantity", "unit_coins", "coins", "milli", "combo_id", "combo_count", "created_at"},
		[]int{cText, cText, cText, cText, cText, cInt, cInt, cInt, cInt, cInt, cTextNull, cIntNull, cTime}},
	{"gift_claws", []string{"gift_id", "coins"}, []int{cText, cInt}},
	{"combos", []string{"stream_id", "combo_id", "sender_id", "gift_id", "count", "last_at", "ended"}, []int{cText, cText, cText, cText, cInt, cTime, cBool}},
	{"purchases", []string{"id", "user_id", "provider", "package_id", "channel", "coins", "price", "currency", "status", "checkout_url", "created_at", "provider_ref", "refunded", "dispute", "reversed_coins"},
		[]int{cText, cText, cText, cText, cText, cInt, cInt, cText, cText, cText, cTime, cText, cInt, cText, cInt}},
	{"viewer_spend", []string{"user_id", "day", "coins"}, []int{cText, cText, cInt}},
	{"creator_gifters", []string{"creator_id", "period", "sender_id", "coins", "gifts"}, []int{cText, cText, cText, cInt, cInt}},
	{"creator_week", []string{"week", "creator_id", "milli", "gifts"}, []int{cText, cText, cInt, cInt}},
	{"user_spend", []string{"user_id", "coins"}, []int{cText, cInt}},
	{"stream_goals", []string{"stream_id", "version", "kind", "gift_id", "target", "progress", "updated_at"}, []int{cText, cInt, cText, cText, cInt, cInt, cTime}},
	{"payout_profiles", []string{"user_id", "methods", "default_method", "kyc", "updated_at"}, []int{cText, cText, cText, cText, cTime}},
	{"withdrawals", []string{"id", "user_id", "status", "provider", "method_kind", "method", "details", "milli", "gross", "commission", "net", "payout",
		"payout_currency", "quote", "provider_ref", "reason", "created_at", "updated_at", "paid_at"},
		[]int{cText, cText, cText, cText, cText, cText, cText, cInt, cInt, cInt, cInt, cInt, cText, cText, cText, cText, cTime, cTime, cTimeNull}},
	{"fx_rates", []string{"currency", "date", "rate", "source", "created_at"}, []int{cText, cText, cText, cText, cTime}},
	{"audit_log", []string{"id", "at", "actor", "scope", "action", "method", "path", "target", "ip", "idempotency_key", "status", "outcome", "latency_us"},
		[]int{cInt, cTime, cText, cText, cText, cText, cText, cText, cText, cText, cInt, cText, cInt}},
	{"api_keys", []string{"id", "hash", "scope", "label", "created_at", "revoked_at"}, []int{cText, cText, cText, cText, cTime, cTimeNull}},
	{"settings", []string{"key", "value"}, []int{cText, cText}},
}

// sqliteRows feeds SQLite rows to pgx.CopyFrom, converting each value.
type sqliteRows struct {
	rows  *sql.Rows
	kinds []int
	vals  []any
	n     int64
	err   error
}

func (s *sqliteRows) Next() bool {
	if s.err != nil || !s.rows.Next() {
		return false
	}
	raw := make([]any, len(s.kinds))
	ptrs := make([]any, len(s.kinds))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if s.err = s.rows.Scan(ptrs...); s.err != nil {
		return false
	}
	s.vals = make([]any, len(s.kinds))
	for i, k := range s.kinds {
		if s.vals[i], s.err = convert(raw[i], k); s.err != nil {
			return false
		}
	}
	s.n++
	return true
}

func (s *sqliteRows) Values() ([]any, error) { return s.vals, nil }

func (s *sqliteRows) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

func convert(v any, kind int) (any, error) {
	if v == nil {
		switch kind {
		case cTextNull, cIntNull, cTimeNull:
			return nil, nil
		}
		return nil, errors.New("unexpected NULL")
	}
	switch kind {
	case cText, cTextNull:
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
	case cInt, cIntNull:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case cBool:
		if n, ok := v.(int64); ok && (n == 0 || n == 1) {
			return n == 1, nil
		}
	case cTime, cTimeNull:
		if n, ok := v.(int64); ok {
			return time.UnixMicro(n).UTC(), nil
		}
	case cBytes:
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	}
	return nil, fmt.Errorf("unexpected value %v (%T)", v, v)
}

// sourcePath accepts sqlite:PATH, sqlite://PATH or a plain path.
func sourcePath(from string) (string, error) {
	if postgres.IsDSN(from) {
		return "", errors.New("--from: copy reads a SQLite installation (sqlite:PATH)")
	}
	p := strings.TrimPrefix(strings.TrimPrefix(from, "sqlite://"), "sqlite:")
	if p == "" {
		return "", errors.New("--from: no SQLite path")
	}
	return p, nil
}

// copyInstallation copies every table of the SQLite installation at from to
// the PostgreSQL database to in one transaction, then checks the target.
func copyInstallation(ctx context.Context, from, to string, force bool, out io.Writer) error {
	path, err := sourcePath(from)
	if err != nil {
		return err
	}
	if !postgres.IsDSN(to) {
		return errors.New("--to: want a PostgreSQL DSN postgres://…")
	}
	// The source must exist and be at this glint's schema.
	src, err := openStore(ctx, path, true)
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	if err := src.SchemaCurrent(ctx); err != nil {
		src.Close()
		return fmt.Errorf("copy: source %s: %w", path, err)
	}
	srcSnap, err := src.Snapshot(ctx)
	src.Close()
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	if p := ledger.Check(srcSnap); len(p) > 0 {
		return fmt.Errorf("copy: the source ledger is not sound (%d problems, first: %s): run glint verify --db %s", len(p), p[0], path)
	}

	raw, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(ON)")
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	// Background jobs (payouts, webhooks) live in the job runner's tables,
	// which are not copied: the source must have none left to run.
	var pending int64
	if err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')").Scan(&pending); err != nil {
		return fmt.Errorf("copy: source jobs: %w", err)
	}
	if pending > 0 {
		return fmt.Errorf("copy: the source has %d background jobs (payouts, webhooks) not yet done: run glint serve on it until they finish, then copy", pending)
	}

	dst, err := postgres.Open(ctx, to, postgres.Options{MaxConns: 2})
	if err != nil {
		return fmt.Errorf("copy: target: %w", err)
	}
	defer dst.Close()
	if _, err := dst.Migrate(ctx); err != nil {
		return fmt.Errorf("copy: target: %w", err)
	}

	start := time.Now()
	counts := map[string]int64{}
	var srcTx int64
	// One read transaction on the source (a consistent view) and one write
	// transaction on the target (all or nothing).
	rtx, err := raw.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	defer rtx.Rollback()
	err = pgx.BeginFunc(ctx, dst.Pool(), func(tx pgx.Tx) error {
		var rows int64
		for _, t := range copyTables {
			var n int64
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+t.name).Scan(&n); err != nil {
				return err
			}
			rows += n
		}
		if rows > 0 {
			if !force {
				return fmt.Errorf("the target %s already holds %d rows: copy into an empty database, or pass --force to empty it first", postgres.Redact(to), rows)
			}
			// The journal refuses TRUNCATE: lift its guard for this
			// transaction only.
			names := make([]string, len(copyTables))
			for i, t := range copyTables {
				names[i] = t.name
			}
			for _, q := range []string{
				"ALTER TABLE transactions DISABLE TRIGGER transactions_no_truncate",
				"ALTER TABLE postings DISABLE TRIGGER postings_no_truncate",
				"ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate",
				"TRUNCATE " + strings.Join(names, ", "),
				"ALTER TABLE transactions ENABLE TRIGGER transactions_no_truncate",
				"ALTER TABLE postings ENABLE TRIGGER postings_no_truncate",
				"ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate",
			} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("empty the target: %w", err)
				}
			}
			fmt.Fprintf(out, "emptied the target (%d rows)\n", rows)
		}
		for _, t := range copyTables {
			r, err := rtx.QueryContext(ctx, "SELECT "+strings.Join(t.cols, ", ")+" FROM "+t.name)
			if err != nil {
				return fmt.Errorf("read %s: %w", t.name, err)
			}
			src := &sqliteRows{rows: r, kinds: t.kinds}
			n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, src)
			r.Close()
			if err == nil {
				err = src.Err()
			}
			if err != nil {
				return fmt.Errorf("copy %s (row %d): %w", t.name, src.n, err)
			}
			counts[t.name] = n
		}
		if err := rtx.QueryRowContext(ctx, "SELECT COUNT(*) FROM transactions").Scan(&srcTx); err != nil {
			return fmt.Errorf("count source transactions: %w", err)
		}
		// The leaderboards were copied as folded so far: the fold goes on
		// from the same point of the journal.
		var upto int64
		if err := rtx.QueryRowContext(ctx, "SELECT upto FROM board_fold").Scan(&upto); err != nil {
			return fmt.Errorf("read the leaderboards' fold: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE board_fold SET upto = $1", upto); err != nil {
			return fmt.Errorf("copy the leaderboards' fold: %w", err)
		}
		// New transaction and audit ids continue after the copied ones.
		for _, q := range []string{
			"SELECT setval('transactions_id_seq', (SELECT COALESCE(MAX(id), 0) + 1 FROM transactions), false)",
			"SELECT setval('audit_log_id_seq', (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log), false)",
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	for _, t := range copyTables {
		fmt.Fprintf(out, "  %-17s %d rows\n", t.name, counts[t.name])
	}
	fmt.Fprintf(out, "copied %s to %s in %v\n", path, postgres.Redact(to), time.Since(start).Round(time.Millisecond))

	// Check the copy: the ledger invariants on the target, every balance
	// and the transaction count against the source.
	dstSnap, err := dst.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("copy: check the target: %w", err)
	}
	problems := []string{}
	for _, p := range ledger.Check(dstSnap) {
		problems = append(problems, "target ledger: "+p.String())
	}
	problems = append(problems, compareBalances(srcSnap, dstSnap)...)
	var dstTx int64
	if err := dst.Pool().QueryRow(ctx, "SELECT COUNT(*) FROM transactions").Scan(&dstTx); err != nil {
		return fmt.Errorf("copy: count target transactions: %w", err)
	}
	if srcTx != dstTx {
		problems = append(problems, fmt.Sprintf("transactions: source %d, target %d", srcTx, dstTx))
	}
	if len(problems) > 0 {
		fmt.Fprintf(out, "the copy differs from the source (%d problem(s)):\n", len(problems))
		for _, p := range problems {
			fmt.Fprintf(out, "  - %s\n", p)
		}
		return exitError{code: 1}
	}
	fmt.Fprintf(out, "checked: ledger OK on the target; %d balances and %d transactions equal the source\n", len(dstSnap.Accounts), dstTx)
	return nil
}

// compareBalances lists every account whose asset or balance differs
// between two snapshots, or that only one of them holds.
func compareBalances(src, dst ledger.Snapshot) []string {
	type acct struct {
		asset   string
		balance int64
	}
	a := map[ledger.AccountID]acct{}
	for _, s := range src.Accounts {
		a[s.ID] = acct{string(s.Asset), s.Balance}
	}
	var out []string
	seen := map[ledger.AccountID]bool{}
	for _, d := range dst.Accounts {
		seen[d.ID] = true
		s, ok := a[d.ID]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("account %s: only in the target", d.ID))
		case s.asset != string(d.Asset) || s.balance != d.Balance:
			out = append(out, fmt.Sprintf("account %s: source %d %s, target %d %s", d.ID, s.balance, s.asset, d.Balance, d.Asset))
		}
	}
	for id := range a {
		if !seen[id] {
			out = append(out, fmt.Sprintf("account %s: missing from the target", id))
		}
	}
	sort.Strings(out)
	return out
}
