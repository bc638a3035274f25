-- variant: close-recreates-missing-row
-- choice: section 4, "whether fn_iu_gate_close re-creates a missing row as 'false' or refuses (55000) ... is the kernel's choice"
-- why: closing a gate whose dot_config row an operator deleted can put the row back as 'false' (fail closed) instead of refusing

CREATE OR REPLACE FUNCTION public.fn_iu_gate_missing_row(p_gate text, p_command text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_command = 'close' THEN
        INSERT INTO public.dot_config (key, value, description)
        VALUES (p_gate, 'false', 're-created by fn_iu_gate_close');
        RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '55000',
        MESSAGE = format('gate %L has no dot_config row: %s refused (fail-closed)', p_gate, p_command);
END
$fn$;
