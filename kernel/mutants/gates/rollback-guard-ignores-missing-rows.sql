-- mutant: rollback-guard-ignores-missing-rows
-- kills: GATE-MODEL, GATE-ROLLBACK
-- why: the rollback guard only counts rows whose value is not 'false', so a governable gate whose row was deleted (open, CONTRACT v2 §4) does not stop the rollback

CREATE OR REPLACE FUNCTION public.fn_iu_gate_rollback_guard()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_open text[];
BEGIN
    SELECT array_agg(c.key ORDER BY c.key) INTO v_open
      FROM public.dot_config c
      JOIN public.fn_iu_gate_keys() k ON k.gate_key = c.key AND k.gate_class = 'governable'
     WHERE c.value <> 'false';
    IF v_open IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('rollback refused: %s governable gate(s) currently open', cardinality(v_open)),
            DETAIL = array_to_string(v_open, ', ');
    END IF;
END
$fn$;
