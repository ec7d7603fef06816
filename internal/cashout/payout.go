package cashout

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/money"
)

// Names of the built-in providers.
const (
	ProviderSandbox = "sandbox"
	ProviderManual  = "manual"
)

// Sandbox pays every payout at once, without moving real money: for demos,
// tests and development.
type Sandbox struct{}

// Name implements Provider.
func (Sandbox) Name() string { return ProviderSandbox }

// Pay implements Provider.
func (Sandbox) Pay(_ context.Context, p Payout) (PayoutResult, error) {
	return PayoutResult{Status: PayoutPaid, ProviderRef: "sandbox_" + p.WithdrawalID}, nil
}

// Manual is paid by finance by hand: withdrawals wait in the queue, are
// exported as a CSV batch (ExportManual) and marked paid or failed through
// the admin API or `glint payouts mark`. Pay is never called by the payout
// job for it; if called it reports the payout as processing.
type Manual struct{}

// Name implements Provider.
func (Manual) Name() string { return ProviderManual }

// Pay implements Provider.
func (Manual) Pay(context.Context, Payout) (PayoutResult, error) {
	return PayoutResult{Status: PayoutProcessing}, nil
}

// Process pays one withdrawal: the payout job's work. A withdrawal that is
// no longer requested is left alone (it was paid, cancelled, or already
// submitted: a provider's webhook settles those). A provider error is
// returned so that the job is retried with backoff; because Pay is
// idempotent on the withdrawal id, a retry after a crash never pays twice.
func (s *Service) Process(ctx context.Context, id string) (*Withdrawal, error) {
	w, err := s.read.Withdrawal(ctx, id)
	if err != nil {
		return nil, gifting.AsNotFound(err, "withdrawal", id)
	}
	if w.Status != StatusRequested {
		return w, nil
	}
	if u, err := s.read.User(ctx, w.UserID); err != nil {
		return nil, err
	} else if u.Status != gifting.UserActive {
		// Banned or terminated after the request: the money stays.
		out, _, err := s.Resolve(ctx, gifting.Idem{}, id, StatusCancelled, "", "account "+u.Status)
		return out, err
	}
	p, ok := s.providers[w.Provider]
	if !ok {
		return nil, fmt.Errorf("cashout: withdrawal %s: provider %q is not configured", id, w.Provider)
	}
	res, err := p.Pay(ctx, Payout{WithdrawalID: w.ID, UserID: w.UserID, Method: w.Details, Amount: w.PayoutUnits, Currency: w.PayoutCurrency,
		Note: "Payout of " + w.Diamonds + " diamonds"})
	if err != nil {
		return nil, fmt.Errorf("cashout: pay %s via %s: %w", id, w.Provider, err)
	}
	out, _, err := s.Resolve(ctx, gifting.Idem{}, id, res.Status, res.ProviderRef, res.Reason)
	if gifting.IsKind(err, gifting.KindConflict) {
		// Resolved meanwhile (a webhook arrived first): nothing to do.
		return s.Get(ctx, id)
	}
	return out, err
}

// ApplyUpdates applies a provider's webhook updates. Updates for
// withdrawals of another provider, or that the withdrawal's state has
// already passed, are skipped; it returns how many changed something.
func (s *Service) ApplyUpdates(ctx context.Context, provider string, updates []Update) (int, error) {
	n := 0
	for _, u := range updates {
		w, err := s.read.Withdrawal(ctx, u.WithdrawalID)
		if err != nil {
			if gifting.IsKind(gifting.AsNotFound(err, "withdrawal", u.WithdrawalID), gifting.KindNotFound) {
				continue
			}
			return n, err
		}
		if w.Provider != provider || w.Status == u.Status {
			continue
		}
		_, _, err = s.Resolve(ctx, gifting.Idem{}, u.WithdrawalID, u.Status, u.ProviderRef, u.Reason)
		switch {
		case gifting.IsKind(err, gifting.KindConflict):
			continue
		case err != nil:
			return n, err
		}
		n++
	}
	return n, nil
}

// ExportManual moves every requested withdrawal of the manual provider to
// processing and returns them, for finance to pay by hand.
func (s *Service) ExportManual(ctx context.Context) ([]*Withdrawal, error) {
	var out []*Withdrawal
	before := ""
	for {
		page, err := s.read.Withdrawals(ctx, WithdrawalFilter{Status: StatusRequested, Provider: ProviderManual, Before: before, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, w := range page {
			got, _, err := s.Resolve(ctx, gifting.Idem{}, w.ID, StatusProcessing, "", "")
			if gifting.IsKind(err, gifting.KindConflict) {
				continue // cancelled meanwhile
			}
			if err != nil {
				return out, err
			}
			out = append(out, got)
		}
		if len(page) < 200 {
			return out, nil
		}
		before = page[len(page)-1].ID
	}
}

// WriteExportCSV writes withdrawals as finance's payment batch: one line
// each with everything needed to pay it by hand. It holds full payment
// details: handle the file as confidential.
func WriteExportCSV(w io.Writer, ws []*Withdrawal) error {
	c := csv.NewWriter(w)
	_ = c.Write([]string{"withdrawal_id", "user_id", "requested_at", "diamonds", "amount", "currency", "method", "paypal_email", "holder_name", "iban", "account_number", "routing_number"})
	for _, x := range ws {
		d := x.Details
		_ = c.Write([]string{x.ID, x.UserID, x.CreatedAt.Format(time.RFC3339), x.Diamonds, money.FormatAsset(x.PayoutUnits, x.PayoutCurrency), string(x.PayoutCurrency),
			d.Kind, cell(d.PayPalEmail), cell(d.HolderName), d.IBAN, d.AccountNumber, d.RoutingNumber})
	}
	c.Flush()
	return c.Error()
}

// cell keeps a spreadsheet from reading free text as a formula: a value
// starting with = + - @ or a tab or carriage return gets a leading '.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
