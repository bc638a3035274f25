-- mutant: ledger-not-append-only
-- kills: GATE-MODEL, GATE-LEDGER
-- why: the ledger's append-only triggers are missing: rows can be rewritten or deleted

DROP TRIGGER trg_iu_gate_transition_append_only ON public.iu_gate_transition;
DROP TRIGGER trg_iu_gate_transition_no_truncate ON public.iu_gate_transition;
