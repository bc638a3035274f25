-- variant: blank-actor-accepted
-- choice: section 4, "p_actor NULL is refused (23502 or 23514); whether a blank actor is refused is the kernel's choice"
-- why: a kernel that records a blank actor as given (and refuses only null, with 23502 as a NOT NULL column would) is as correct as one that refuses it

CREATE OR REPLACE FUNCTION public.fn_iu_gate_require_actor(p_actor text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_actor IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '23502', MESSAGE = 'actor required';
    END IF;
END
$fn$;
