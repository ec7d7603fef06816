package gifting

import "context"

// WriteManyFunc submits several operations to the ledger writer at once and
// returns one error per operation.
type WriteManyFunc func(ctx context.Context, ops []func(Tx) error) []error

// BatchGift is one gift of a batch, with its own idempotency key.
type BatchGift struct {
	Idem  Idem
	Input SendGiftInput
}

// BatchResult is the outcome of one gift of a batch: Gift on success,
// Err otherwise.
type BatchResult struct {
	Gift   *GiftResult
	Replay bool
	Err    error
}

// SendGifts sends many gifts at once. Each gift is checked and applied on
// its own — one failure fails only that gift — but they share the writer's
// transactions, so a batch costs about one commit.
func (s *Service) SendGifts(ctx context.Context, gifts []BatchGift) []BatchResult {
	out := make([]BatchResult, len(gifts))
	ops := make([]func(Tx) error, 0, len(gifts))
	idx := make([]int, 0, len(gifts))
	for i, g := range gifts {
		if err := s.CheckGiftInput(g.Input); err != nil {
			out[i].Err = err
			continue
		}
		i, g := i, g
		ops = append(ops, func(tx Tx) error {
			r, rep, err := Once(ctx, tx, g.Idem, func() (*GiftResult, error) { return s.sendGift(ctx, tx, g.Input) })
			out[i].Gift, out[i].Replay = r, rep
			return err
		})
		idx = append(idx, i)
	}
	var errs []error
	if s.writeMany != nil {
		errs = s.writeMany(ctx, ops)
	} else {
		errs = make([]error, len(ops))
		for j, op := range ops {
			errs[j] = s.write(ctx, op)
		}
	}
	for j, err := range errs {
		if err != nil {
			out[idx[j]] = BatchResult{Err: err}
		}
	}
	return out
}
