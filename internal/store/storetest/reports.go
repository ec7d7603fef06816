package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/statement"
)

// reportStore is what the report suite reads: an engine's *DB.
type reportStore interface {
	gifting.Reader
	cashout.Reader
	cashout.ReportReader
}

// reportWorld is gifting and cash-out over one fresh engine, through one
// batcher, with a settable clock.
type reportWorld[T cashout.Tx] struct {
	*domain[T]
	cash *cashout.Service
	read reportStore
}

func newReportWorld[T cashout.Tx](t *testing.T, open Open[T]) *reportWorld[T] {
	t.Helper()
	clock := NewClock(reportStart)
	e := open(t, clock.Now)
	read, ok := e.Read.(reportStore)
	if !ok {
		t.Fatalf("the engine's reader %T does not implement cashout.Reader and cashout.ReportReader", e.Read)
	}
	if e.Exec == nil {
		t.Fatal("the engine gives no Exec: the report suite tampers with rows")
	}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 64, Queue: 4096}, e.Apply)
	b.Start()
	t.Cleanup(b.Stop)
	econ := economy.Seed()
	fx := money.NewLive(money.DefaultRates())
	svc := gifting.NewService(gifting.Config{
		Economy: econ, FX: fx, Read: read, Now: clock.Now,
		Providers: []gifting.PaymentProvider{payments.Sandbox{}},
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return b.Do(ctx, func(w T) error { return op(w) })
		},
	})
	if _, err := svc.SyncCatalog(ctx); err != nil {
		t.Fatalf("sync catalog: %v", err)
	}
	cash, err := cashout.NewService(cashout.Config{
		Economy: econ, FX: fx, Read: read, Now: clock.Now,
		Write: func(ctx context.Context, op func(cashout.Tx) error) error {
			return b.Do(ctx, func(w T) error { return op(w) })
		},
		Providers: []cashout.Provider{cashout.Manual{}},
		PayWith:   map[string]string{cashout.MethodPayPal: cashout.ProviderManual, cashout.MethodBank: cashout.ProviderManual},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := &domain[T]{e: e, svc: svc, clock: clock, econ: econ}
	return &reportWorld[T]{domain: d, cash: cash, read: read}
}

// at sets the clock.
func (w *reportWorld[T]) at(t *testing.T, when time.Time) {
	t.Helper()
	now := w.clock.Now()
	if when.Before(now) {
		t.Fatalf("the clock cannot go back from %s to %s", now, when)
	}
	w.clock.Advance(when.Sub(now))
}

func (w *reportWorld[T]) mustGift(t *testing.T, stream, sender, gift string, qty int64) {
	t.Helper()
	if _, err := w.gift(stream, sender, gift, qty, ""); err != nil {
		t.Fatalf("%s sends %d %s in %s: %v", sender, qty, gift, stream, err)
	}
}

func (w *reportWorld[T]) withdraw(t *testing.T, user, diamonds string) *cashout.Withdrawal {
	t.Helper()
	wd, _, err := w.cash.Request(ctx, gifting.Idem{}, cashout.RequestInput{UserID: user, Diamonds: diamonds})
	if err != nil {
		t.Fatalf("%s withdraws %s diamonds: %v", user, diamonds, err)
	}
	return wd
}

func utc(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, time.UTC)
}

// The scenario of the report suite, in UTC (2025-02-02 is a Sunday):
//
//	01-30 10:00  v1 buys 5 × 17,500 coins, v2 17,500 + 70; c1 and c2 go live
//	01-30 10:00  v1 → c1 2 Rockets (20,000 diamonds)
//	01-30 10:01  v1 → c1 3 Roses (1.5)
//	01-30 10:02  v2 → c2 1 Panda (2.5)
//	02-02 23:59:59  v2 → c1 1 Galaxy (500)       ISO week of 01-27
//	02-03 00:00:00  v2 → c1 1 Rose (0.5)         ISO week of 02-03
//	02-10 10:00  c1 requests W1, 20,000 diamonds ($100 gross, $50 net)
//	02-11 09:00  W1 is paid
//	03-05 12:00  v1 → c1 2 Rockets (20,000), 12:01 1 Hand Wave (4.5)
//	03-10 10:00  c1 requests W2, 20,000 diamonds; 11:00 cancels it
//	03-11 10:00  c1 requests W3, 20,500 diamonds ($102.50 gross); it stays open
var (
	reportStart = utc(2025, 1, 30, 10, 0, 0)
	w1Paid      = utc(2025, 2, 11, 9, 0, 0)
	reportEnd   = utc(2025, 3, 11, 10, 0, 0)
)

type reportScenario struct {
	w1, w2, w3 *cashout.Withdrawal
}

func (w *reportWorld[T]) build(t *testing.T) reportScenario {
	t.Helper()
	var sc reportScenario
	w.at(t, reportStart)
	for _, u := range []string{"c1", "c2", "v1", "v2"} {
		w.user(t, u)
	}
	for range 5 {
		w.buy(t, "v1", 17500)
	}
	w.buy(t, "v2", 17500)
	w.buy(t, "v2", 70)
	w.live(t, "s1", "c1")
	w.live(t, "s2", "c2")
	w.mustGift(t, "s1", "v1", "rocket", 2)
	w.clock.Advance(time.Minute)
	w.mustGift(t, "s1", "v1", "rose", 3)
	w.clock.Advance(time.Minute)
	w.mustGift(t, "s2", "v2", "panda", 1)
	w.at(t, utc(2025, 2, 2, 23, 59, 59))
	w.mustGift(t, "s1", "v2", "galaxy", 1)
	w.at(t, utc(2025, 2, 3, 0, 0, 0))
	w.mustGift(t, "s1", "v2", "rose", 1)

	w.at(t, utc(2025, 2, 10, 10, 0, 0))
	if _, _, err := w.cash.PutMethod(ctx, gifting.Idem{}, "c1", cashout.Method{Kind: cashout.MethodPayPal, PayPalEmail: "c1@example.com"}); err != nil {
		t.Fatal(err)
	}
	sc.w1 = w.withdraw(t, "c1", "20000")
	w.at(t, w1Paid)
	paid, _, err := w.cash.Resolve(ctx, gifting.Idem{}, sc.w1.ID, cashout.StatusPaid, "manual-1", "")
	if err != nil {
		t.Fatalf("pay W1: %v", err)
	}
	sc.w1 = paid

	w.at(t, utc(2025, 3, 5, 12, 0, 0))
	w.mustGift(t, "s1", "v1", "rocket", 2)
	w.clock.Advance(time.Minute)
	w.mustGift(t, "s1", "v1", "hand-wave", 1)

	w.at(t, utc(2025, 3, 10, 10, 0, 0))
	sc.w2 = w.withdraw(t, "c1", "20000")
	w.at(t, utc(2025, 3, 10, 11, 0, 0))
	if sc.w2, _, err = w.cash.Cancel(ctx, gifting.Idem{}, "c1", sc.w2.ID); err != nil {
		t.Fatalf("cancel W2: %v", err)
	}
	w.at(t, reportEnd)
	sc.w3 = w.withdraw(t, "c1", "20500")
	mustClean(t, w.e)
	return sc
}

// RunReports runs the report part of the conformance suite: earnings
// buckets, statements and the books (cashout.ReportReader), over data made
// by gifting.Service and cashout.Service on the engine, with exact figures,
// and checks that tampering with a row makes the books fail to reconcile.
func RunReports[T cashout.Tx](t *testing.T, open Open[T]) {
	w := newReportWorld(t, open)
	sc := w.build(t)
	econ := w.econ

	t.Run("EarningsBuckets", func(t *testing.T) {
		for _, c := range []struct {
			name     string
			interval string
			from, to time.Time
			want     []cashout.EarningsBucket
		}{
			{"day", cashout.IntervalDay, utc(2025, 1, 30, 0, 0, 0), utc(2025, 2, 12, 0, 0, 0), []cashout.EarningsBucket{
				{Start: utc(2025, 1, 30, 0, 0, 0), Gifts: 2, Milli: 20_001_500},
				{Start: utc(2025, 2, 2, 0, 0, 0), Gifts: 1, Milli: 500_000},
				{Start: utc(2025, 2, 3, 0, 0, 0), Gifts: 1, Milli: 500},
				{Start: utc(2025, 2, 11, 0, 0, 0), PaidNet: 5000},
			}},
			{"week", cashout.IntervalWeek, utc(2025, 1, 1, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0), []cashout.EarningsBucket{
				{Start: utc(2025, 1, 27, 0, 0, 0), Gifts: 3, Milli: 20_501_500},
				{Start: utc(2025, 2, 3, 0, 0, 0), Gifts: 1, Milli: 500},
				{Start: utc(2025, 2, 10, 0, 0, 0), PaidNet: 5000},
				{Start: utc(2025, 3, 3, 0, 0, 0), Gifts: 2, Milli: 20_004_500},
			}},
			{"month", cashout.IntervalMonth, utc(2025, 1, 1, 0, 0, 0), utc(2026, 1, 1, 0, 0, 0), []cashout.EarningsBucket{
				{Start: utc(2025, 1, 1, 0, 0, 0), Gifts: 2, Milli: 20_001_500},
				{Start: utc(2025, 2, 1, 0, 0, 0), Gifts: 2, Milli: 500_500, PaidNet: 5000},
				{Start: utc(2025, 3, 1, 0, 0, 0), Gifts: 2, Milli: 20_004_500},
			}},
			// from is inclusive, to exclusive: only the Galaxy of 23:59:59.
			{"edges", cashout.IntervalDay, utc(2025, 2, 2, 23, 59, 59), utc(2025, 2, 3, 0, 0, 0), []cashout.EarningsBucket{
				{Start: utc(2025, 2, 2, 0, 0, 0), Gifts: 1, Milli: 500_000},
			}},
			{"paid at the start", cashout.IntervalMonth, w1Paid, w1Paid.Add(time.Microsecond), []cashout.EarningsBucket{
				{Start: utc(2025, 2, 1, 0, 0, 0), PaidNet: 5000},
			}},
			{"nothing", cashout.IntervalMonth, utc(2024, 1, 1, 0, 0, 0), utc(2025, 1, 1, 0, 0, 0), []cashout.EarningsBucket{}},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := w.read.EarningsBuckets(ctx, "c1", c.from, c.to, c.interval)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("buckets (-want +got):\n%s", diff)
				}
			})
		}
		got, err := w.read.EarningsBuckets(ctx, "c2", utc(2025, 1, 1, 0, 0, 0), utc(2026, 1, 1, 0, 0, 0), cashout.IntervalMonth)
		if err != nil {
			t.Fatal(err)
		}
		if want := []cashout.EarningsBucket{{Start: utc(2025, 1, 1, 0, 0, 0), Gifts: 1, Milli: 2_500}}; !cmp.Equal(want, got) {
			t.Errorf("c2: %+v, want %+v", got, want)
		}
		if _, err := w.read.EarningsBuckets(ctx, "c1", reportStart, reportEnd, "year"); err == nil {
			t.Error("an unknown interval is accepted")
		}
	})

	t.Run("Earnings", func(t *testing.T) {
		got, err := cashout.Earnings(ctx, econ, w.read, "c1", utc(2025, 1, 27, 0, 0, 0), utc(2025, 3, 17, 0, 0, 0), cashout.IntervalWeek)
		if err != nil {
			t.Fatal(err)
		}
		type line struct {
			start                                time.Time
			gifts, milli, gross, comm, net, paid int64
		}
		want := []line{
			// 20,501.5 diamonds = 102.5075 → 102.51 gross; net 51.255 → 51.26 (half to even); commission 51.25.
			{utc(2025, 1, 27, 0, 0, 0), 3, 20_501_500, 10251, 5125, 5126, 0},
			// 0.5 diamond = 0.0025 → 0.00: the half cent rounds to even.
			{utc(2025, 2, 3, 0, 0, 0), 1, 500, 0, 0, 0, 0},
			{utc(2025, 2, 10, 0, 0, 0), 0, 0, 0, 0, 0, 5000},
			{utc(2025, 2, 17, 0, 0, 0), 0, 0, 0, 0, 0, 0},
			{utc(2025, 2, 24, 0, 0, 0), 0, 0, 0, 0, 0, 0},
			// 20,004.5 diamonds = 100.0225 → 100.02; net 50.01, commission 50.01.
			{utc(2025, 3, 3, 0, 0, 0), 2, 20_004_500, 10002, 5001, 5001, 0},
			{utc(2025, 3, 10, 0, 0, 0), 0, 0, 0, 0, 0, 0},
		}
		if len(got.Buckets) != len(want) {
			t.Fatalf("%d buckets, want %d: %+v", len(got.Buckets), len(want), got.Buckets)
		}
		for i, wl := range want {
			b := got.Buckets[i]
			gl := line{*b.Start, b.Gifts, b.Milli, b.GrossUnits, b.CommissionUnits, b.NetUnits, b.PaidUnits}
			if gl != wl {
				t.Errorf("bucket %d: %+v, want %+v", i, gl, wl)
			}
			// Each bucket is valued as the calculator values its diamonds.
			if b.Milli > 0 {
				q, err := economy.Calculate(econ, nil, economy.Input{Kind: economy.KindDiamonds, Amount: b.Milli}, "")
				if err != nil {
					t.Fatal(err)
				}
				if b.Gross != q.Gross || b.Net != q.Net || b.Commission != q.Commission || b.Diamonds != q.Diamonds {
					t.Errorf("bucket %d: %s %s %s %s, the calculator says %s %s %s %s", i, b.Diamonds, b.Gross, b.Commission, b.Net, q.Diamonds, q.Gross, q.Commission, q.Net)
				}
			}
		}
		tot := got.Total
		if tot.Start != nil || tot.Gifts != 6 || tot.Milli != 40_506_500 || tot.GrossUnits != 20253 || tot.CommissionUnits != 10126 || tot.NetUnits != 10127 || tot.PaidUnits != 5000 {
			t.Errorf("total %+v", tot)
		}
		if tot.Diamonds != "40506.5" || tot.Gross.String() != "202.53 USD" || tot.Paid.String() != "50.00 USD" {
			t.Errorf("total as shown: %s diamonds, gross %s, paid %s", tot.Diamonds, tot.Gross, tot.Paid)
		}

		// A range that does not start on a bucket boundary: the first
		// bucket is the one that holds from, counting from from on.
		got, err = cashout.Earnings(ctx, econ, w.read, "c1", utc(2025, 1, 30, 10, 0, 30), utc(2025, 2, 1, 0, 0, 0), cashout.IntervalDay)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Buckets) != 2 || !got.Buckets[0].Start.Equal(utc(2025, 1, 30, 0, 0, 0)) || got.Buckets[0].Milli != 1500 || got.Buckets[1].Milli != 0 {
			t.Errorf("partial range: %+v", got.Buckets)
		}

		for _, c := range []struct {
			name, interval, field string
			from, to              time.Time
		}{
			{"unknown interval", "year", "interval", reportStart, reportEnd},
			{"no from", cashout.IntervalDay, "from", time.Time{}, reportEnd},
			{"no to", cashout.IntervalDay, "to", reportStart, time.Time{}},
			{"empty", cashout.IntervalDay, "to", reportStart, reportStart},
			{"backwards", cashout.IntervalDay, "to", reportEnd, reportStart},
			{"367 days by day", cashout.IntervalDay, "to", utc(2024, 1, 1, 0, 0, 0), utc(2025, 1, 2, 0, 0, 1)},
			{"over 10 years", cashout.IntervalMonth, "to", utc(2015, 1, 1, 0, 0, 0), utc(2025, 1, 1, 0, 0, 1)},
		} {
			_, err := cashout.Earnings(ctx, econ, w.read, "c1", c.from, c.to, c.interval)
			var ge *gifting.Error
			if !errors.As(err, &ge) || ge.Kind != gifting.KindInvalid || ge.Details["field"] != c.field {
				t.Errorf("%s: error %v, want invalid %s", c.name, err, c.field)
			}
		}
		for _, c := range []struct {
			interval string
			from, to time.Time
		}{
			{cashout.IntervalDay, utc(2024, 1, 1, 0, 0, 0), utc(2025, 1, 1, 0, 0, 0)}, // 366 days of a leap year
			{cashout.IntervalWeek, utc(2015, 1, 1, 0, 0, 0), utc(2025, 1, 1, 0, 0, 0)},
		} {
			if _, err := cashout.Earnings(ctx, econ, w.read, "c1", c.from, c.to, c.interval); err != nil {
				t.Errorf("%s from %s to %s: %v", c.interval, c.from, c.to, err)
			}
		}
	})

	t.Run("Statement", func(t *testing.T) {
		c1, err := w.svc.GetUser(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		generated := utc(2026, 1, 5, 9, 0, 0)
		got, err := cashout.BuildStatement(ctx, econ, w.read, w.read, c1, 2025, generated)
		if err != nil {
			t.Fatal(err)
		}
		want := &statement.Statement{
			Year: 2025, Platform: "seed", GeneratedAt: generated,
			CreatorID: "c1", DisplayName: "User c1", Country: "US", Currency: "USD",
			DiamondValue: "0.005", Commission: "0.5", DiamondsPerCoin: "0.5", Threshold: 60000,
			Payouts: []statement.Payout{{WithdrawalID: sc.w1.ID, PaidAt: w1Paid, Diamonds: 20_000_000, Net: 5000, Amount: 5000, Currency: "USD", Method: "PayPal c***@example.com"}},
		}
		for i := range want.Months {
			want.Months[i].Month = time.Month(i + 1)
		}
		// January: 20,001.5 diamonds = 100.0075 → 100.01; net 50.005 → 50.00 (half to even), commission 50.01.
		want.Months[0] = statement.Month{Month: 1, Gifts: 2, Diamonds: 20_001_500, Gross: 10001, Commission: 5001, Net: 5000}
		// February: 500.5 diamonds = 2.5025 → 2.50; net 1.25. W1 paid 50.00.
		want.Months[1] = statement.Month{Month: 2, Gifts: 2, Diamonds: 500_500, Gross: 250, Commission: 125, Net: 125, Paid: 5000}
		// March: 20,004.5 diamonds = 100.0225 → 100.02; net 50.01.
		want.Months[2] = statement.Month{Month: 3, Gifts: 2, Diamonds: 20_004_500, Gross: 10002, Commission: 5001, Net: 5001}
		want.Total = statement.Month{Gifts: 6, Diamonds: 40_506_500, Gross: 20253, Commission: 10127, Net: 10126, Paid: 5000}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("statement (-want +got):\n%s", diff)
		}
		if err := got.Validate(); err != nil {
			t.Error(err)
		}

		empty, err := cashout.BuildStatement(ctx, econ, w.read, w.read, c1, 2024, generated)
		if err != nil {
			t.Fatal(err)
		}
		if empty.Total != (statement.Month{}) || len(empty.Payouts) != 0 || empty.ThresholdReached || empty.Validate() != nil {
			t.Errorf("2024: %+v", empty)
		}

		// A low threshold is reached.
		low := *econ
		low.Tax.StatementThreshold = economy.Money{Units: 20253, Currency: "USD"}
		if s, err := cashout.BuildStatement(ctx, &low, w.read, w.read, c1, 2025, generated); err != nil || !s.ThresholdReached {
			t.Errorf("threshold of exactly the gross: reached %v, err %v", s != nil && s.ThresholdReached, err)
		}
		low.Tax.StatementThreshold = economy.Money{Units: 600, Currency: "EUR"}
		if _, err := cashout.BuildStatement(ctx, &low, w.read, w.read, c1, 2025, generated); err == nil {
			t.Error("a threshold in another currency than the diamond's is accepted")
		}
		if _, err := cashout.BuildStatement(ctx, econ, w.read, w.read, c1, 1969, generated); !gifting.IsKind(err, gifting.KindInvalid) {
			t.Errorf("year 1969: %v", err)
		}
	})

	t.Run("BooksNow", func(t *testing.T) {
		f, err := w.read.Liabilities(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if !f.Current || !f.At.Equal(reportEnd) {
			t.Errorf("current %v at %s, want the clock's %s", f.Current, f.At, reportEnd)
		}
		wantWithdrawals := []cashout.WithdrawalGroup{
			{Status: "cancelled", Count: 1, Milli: 20_000_000, Gross: 10000, Commission: 5000, Net: 5000},
			{Status: "paid", Count: 1, Milli: 20_000_000, Gross: 10000, Commission: 5000, Net: 5000},
			{Status: "requested", Count: 1, Milli: 20_500_000, Gross: 10250, Commission: 5125, Net: 5125},
		}
		if diff := cmp.Diff(wantWithdrawals, f.Withdrawals); diff != "" {
			t.Errorf("withdrawals (-want +got):\n%s", diff)
		}
		if want := (cashout.WithdrawalGroup{Status: "held", Count: 1, Milli: 20_500_000, Gross: 10250, Commission: 5125, Net: 5125}); f.Held != want {
			t.Errorf("held %+v, want %+v", f.Held, want)
		}
		if want := (cashout.WithdrawalGroup{Status: "paid", Count: 1, Milli: 20_000_000, Gross: 10000, Commission: 5000, Net: 5000}); f.Paid != want {
			t.Errorf("paid %+v, want %+v", f.Paid, want)
		}
		// v1 bought 5 × 249.99, v2 249.99 + 0.99.
		wantJournal := []cashout.Balance{
			{Account: "ext:payouts:manual:USD", Asset: "USD", Amount: 5000},
			{Account: "ext:sandbox:USD", Asset: "USD", Amount: -150_093},
			{Account: "sys:cash:sandbox:USD", Asset: "USD", Amount: 150_093},
			{Account: "sys:coins:issued", Asset: "COIN", Amount: -105_070},
			{Account: "sys:coins:spent", Asset: "COIN", Amount: 81_018},
			{Account: "sys:commission:USD", Asset: "USD", Amount: 5000},
			{Account: "sys:diamonds:issued", Asset: "DIAMOND", Amount: -40_509_000},
			{Account: "sys:diamonds:redeemed", Asset: "DIAMOND", Amount: 20_000_000},
			{Account: "sys:payouts:payable:USD", Asset: "USD", Amount: 0},
			{Account: "sys:redemption:USD:issued", Asset: "USD", Amount: -10000},
			{Account: "user:*:coins", Asset: "COIN", Amount: 24_052},
			{Account: "user:*:diamonds:available", Asset: "DIAMOND", Amount: 9_000},
			{Account: "user:*:diamonds:withdrawing", Asset: "DIAMOND", Amount: 20_500_000},
		}
		if diff := cmp.Diff(wantJournal, f.Journal); diff != "" {
			t.Errorf("journal (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantJournal, f.Accounts); diff != "" {
			t.Errorf("accounts table (-want +got):\n%s", diff)
		}

		r, err := cashout.BuildReport(ctx, econ, w.read, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		wantChecks(t, r, cashout.CheckZeroSum, cashout.CheckDiamonds, cashout.CheckCoins, cashout.CheckWithdrawing, cashout.CheckCommission, cashout.CheckAccounts)
		if r.Coins != (cashout.CoinBooks{Outstanding: 24_052, Issued: 105_070, Spent: 81_018}) {
			t.Errorf("coins %+v", r.Coins)
		}
		d := r.Diamonds
		// 20,509 diamonds = 102.545 → 102.54 (half to even); net 51.27.
		if d.Outstanding != "20509" || d.Pending != "0" || d.Available != "9" || d.Withdrawing != "20500" ||
			d.Issued != "40509" || d.Redeemed != "20000" || d.Forfeited != "0" ||
			d.Gross.String() != "102.54 USD" || d.Net.String() != "51.27 USD" {
			t.Errorf("diamonds %+v", d)
		}
		for _, c := range []struct {
			name      string
			got, want []economy.Amount
		}{
			{"commission", r.Commission, []economy.Amount{economy.NewAmount(5000, "USD")}},
			{"paid out", r.PaidOut, []economy.Amount{economy.NewAmount(5000, "USD")}},
			{"payable", r.Payable, []economy.Amount{economy.NewAmount(0, "USD")}},
		} {
			if !cmp.Equal(c.got, c.want) {
				t.Errorf("%s %v, want %v", c.name, c.got, c.want)
			}
		}
		if len(r.Withdrawals) != 3 || r.Withdrawals[2] != (cashout.WithdrawalLine{Status: "requested", Count: 1, Diamonds: "20500",
			Gross: economy.NewAmount(10250, "USD"), Commission: economy.NewAmount(5125, "USD"), Net: economy.NewAmount(5125, "USD")}) {
			t.Errorf("withdrawals %+v", r.Withdrawals)
		}
		if len(r.Accounts) != 10 || r.Accounts[0] != (cashout.AccountLine{Account: "ext:payouts:manual:USD", Asset: "USD", Balance: "50.00"}) {
			t.Errorf("accounts %+v", r.Accounts)
		}
	})

	t.Run("BooksInThePast", func(t *testing.T) {
		// W1 requested, not yet paid: its diamonds are held, no commission
		// yet — though its status now is paid.
		at := utc(2025, 2, 10, 12, 0, 0)
		f, err := w.read.Liabilities(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if f.Current || !f.At.Equal(at) || f.Accounts != nil {
			t.Errorf("current %v, at %s, accounts %v", f.Current, f.At, f.Accounts)
		}
		if want := []cashout.WithdrawalGroup{{Status: "paid", Count: 1, Milli: 20_000_000, Gross: 10000, Commission: 5000, Net: 5000}}; !cmp.Equal(want, f.Withdrawals) {
			t.Errorf("withdrawals by status now %+v", f.Withdrawals)
		}
		if f.Held.Count != 1 || f.Held.Milli != 20_000_000 || f.Paid.Count != 0 || f.Paid.Commission != 0 {
			t.Errorf("held %+v, paid %+v", f.Held, f.Paid)
		}
		for _, c := range []struct {
			account string
			asset   money.Asset
			want    int64
		}{
			{"sys:coins:issued", "COIN", -105_070},
			{"sys:coins:spent", "COIN", 41_009},
			{"user:*:coins", "COIN", 64_061},
			{"sys:diamonds:issued", "DIAMOND", -20_504_500},
			{"sys:diamonds:redeemed", "DIAMOND", 0},
			{"user:*:diamonds:available", "DIAMOND", 504_500},
			{"user:*:diamonds:withdrawing", "DIAMOND", 20_000_000},
			{"sys:commission:USD", "USD", 0},
		} {
			if got := f.Get(c.account, c.asset); got != c.want {
				t.Errorf("%s %s = %d, want %d", c.account, c.asset, got, c.want)
			}
		}
		r, err := cashout.BuildReport(ctx, econ, w.read, at)
		if err != nil {
			t.Fatal(err)
		}
		wantChecks(t, r, cashout.CheckZeroSum, cashout.CheckDiamonds, cashout.CheckCoins, cashout.CheckWithdrawing, cashout.CheckCommission)

		// Between W2's request and its cancellation: W2 is held, W1 paid.
		at = utc(2025, 3, 10, 10, 30, 0)
		if f, err = w.read.Liabilities(ctx, at); err != nil {
			t.Fatal(err)
		}
		if f.Held.Count != 1 || f.Held.Milli != 20_000_000 || f.Paid.Count != 1 || f.Paid.Commission != 5000 {
			t.Errorf("at %s: held %+v, paid %+v", at, f.Held, f.Paid)
		}
		if got := f.Get(cashout.UserAccounts(ledger.PurposeDiamondsWithdrawing), money.Diamond); got != 20_000_000 {
			t.Errorf("at %s: withdrawing %d", at, got)
		}
		if r, err = cashout.BuildReport(ctx, econ, w.read, at); err != nil {
			t.Fatal(err)
		}
		wantChecks(t, r, cashout.CheckZeroSum, cashout.CheckDiamonds, cashout.CheckCoins, cashout.CheckWithdrawing, cashout.CheckCommission)

		// Before anything happened.
		if r, err = cashout.BuildReport(ctx, econ, w.read, utc(2020, 1, 1, 0, 0, 0)); err != nil {
			t.Fatal(err)
		}
		wantChecks(t, r, cashout.CheckZeroSum, cashout.CheckDiamonds, cashout.CheckCoins, cashout.CheckWithdrawing, cashout.CheckCommission)
		if r.Coins != (cashout.CoinBooks{}) || r.Diamonds.Outstanding != "0" || len(r.Accounts) != 0 || len(r.Withdrawals) != 0 {
			t.Errorf("empty books: %+v", r)
		}
	})

	t.Run("TamperedWithdrawal", func(t *testing.T) {
		if err := w.e.Exec(ctx, "UPDATE withdrawals SET commission = commission + 1 WHERE id = '"+sc.w1.ID+"'"); err != nil {
			t.Fatal(err)
		}
		r, err := cashout.BuildReport(ctx, econ, w.read, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		wantChecks(t, r, cashout.CheckZeroSum, cashout.CheckDiamonds, cashout.CheckCoins, cashout.CheckWithdrawing, "!"+cashout.CheckCommission, cashout.CheckAccounts)
		if err := w.e.Exec(ctx, "UPDATE withdrawals SET commission = commission - 1 WHERE id = '"+sc.w1.ID+"'"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("TamperedBalance", func(t *testing.T) {
		if err := w.e.Exec(ctx, "UPDATE accounts SET balance = balance + 1 WHERE id = 'user:c2:diamonds:available'"); err != nil {
			t.Fatal(err)
		}
		r, err := cashout.BuildReport(ctx, econ, w.read, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		wantChecks(t, r, cashout.CheckZeroSum, cashout.CheckDiamonds, cashout.CheckCoins, cashout.CheckWithdrawing, cashout.CheckCommission, "!"+cashout.CheckAccounts)
	})
}

// wantChecks asserts the checks of a report, in order: a name that passes,
// or "!name" for one that fails; and that Reconciled and OK agree.
func wantChecks(t *testing.T, r *cashout.Report, names ...string) {
	t.Helper()
	var got, want []string
	fail := false
	for _, c := range r.Checks {
		name := c.Name
		if !c.OK {
			name = "!" + name
		}
		got = append(got, name)
	}
	for _, n := range names {
		want = append(want, n)
		fail = fail || n[0] == '!'
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s\n%+v", diff, r.Checks)
	}
	if r.OK() == fail || r.Reconciled != r.OK() {
		t.Errorf("OK %v, reconciled %v, with checks %+v", r.OK(), r.Reconciled, r.Checks)
	}
}
