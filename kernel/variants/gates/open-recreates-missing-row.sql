-- variant: open-recreates-missing-row
-- choice: section 4, "whether fn_iu_gate_open refuses or re-creates [a missing row] is the kernel's choice"
-- why: an approved open of a gate whose dot_config row is missing can re-create the row (and open it) instead of refusing

CREATE OR REPLACE FUNCTION public.fn_iu_gate_missing_row(p_gate text, p_command text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_command = 'open' THEN
        INSERT INTO public.dot_config (key, value, description)
        VALUES (p_gate, 'false', 're-created by fn_iu_gate_open');
        RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '55000',
        MESSAGE = format('gate %L has no dot_config row: %s refused (fail-closed)', p_gate, p_command);
END
$fn$;
