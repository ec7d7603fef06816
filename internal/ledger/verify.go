package ledger

import (
	"fmt"
	"sort"

	"github.com/glint-economy/glint/internal/money"
)

// AccountState is an account as stored, with the sum of its postings as
// computed from the journal.
type AccountState struct {
	ID          AccountID
	Asset       money.Asset
	Balance     int64 // the stored balance
	PostingsSum int64 // sum of postings to it minus postings from it
	NegativeOK  bool  // the stored flag
}

// Snapshot is what Check needs from a database, read in one consistent view.
type Snapshot struct {
	Accounts []AccountState
	// Orphans are accounts that postings name but the accounts table lacks.
	Orphans []AccountID
	// AssetMismatches describe postings whose asset differs from an account's.
	AssetMismatches []string
	// Triggers reports whether the append-only guard of the journal is installed.
	AppendOnlyGuard bool
}

// Problem is one broken invariant.
type Problem struct {
	Invariant string // "zero-sum", "balance=postings", "non-negative", "append-only", "assets"
	Detail    string
}

func (p Problem) String() string { return p.Invariant + ": " + p.Detail }

// Check returns every invariant the snapshot breaks; none means the ledger is sound.
func Check(s Snapshot) []Problem {
	var out []Problem
	sums := map[money.Asset]int64{}
	overflow := map[money.Asset]bool{}
	for _, a := range s.Accounts {
		v, err := money.Add(sums[a.Asset], a.Balance)
		if err != nil {
			overflow[a.Asset] = true
		}
		sums[a.Asset] = v
		if a.Balance != a.PostingsSum {
			out = append(out, Problem{"balance=postings", fmt.Sprintf("account %s holds %d but its postings sum to %d", a.ID, a.Balance, a.PostingsSum)})
		}
		if a.Balance < 0 && !AllowsNegative(a.ID) {
			out = append(out, Problem{"non-negative", fmt.Sprintf("account %s is at %d", a.ID, a.Balance)})
		}
		if a.NegativeOK != AllowsNegative(a.ID) {
			out = append(out, Problem{"non-negative", fmt.Sprintf("account %s has the wrong may-go-negative flag", a.ID)})
		}
	}
	assets := make([]money.Asset, 0, len(sums))
	for a := range sums {
		assets = append(assets, a)
	}
	sort.Slice(assets, func(i, j int) bool { return assets[i] < assets[j] })
	for _, a := range assets {
		if overflow[a] {
			out = append(out, Problem{"zero-sum", fmt.Sprintf("%s balances overflow when summed", a)})
		} else if sums[a] != 0 {
			out = append(out, Problem{"zero-sum", fmt.Sprintf("%s balances sum to %d, not 0", a, sums[a])})
		}
	}
	for _, id := range s.Orphans {
		out = append(out, Problem{"balance=postings", fmt.Sprintf("postings name account %s, which does not exist", id)})
	}
	for _, m := range s.AssetMismatches {
		out = append(out, Problem{"assets", m})
	}
	if !s.AppendOnlyGuard {
		out = append(out, Problem{"append-only", "the triggers that keep the journal append-only are missing"})
	}
	return out
}
