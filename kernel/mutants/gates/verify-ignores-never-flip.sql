-- mutant: verify-ignores-never-flip
-- kills: GATE-MODEL, GATE-NEVER-FLIP
-- why: verify_closed reports never_flip_intact = true without looking at the never-flip gates

CREATE OR REPLACE FUNCTION public.fn_iu_gate_verify_closed(p_actor text)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    WITH g AS (
        SELECT k.gate_key, k.gate_class, c.value
          FROM public.fn_iu_gate_keys() k
          LEFT JOIN public.dot_config c ON c.key = k.gate_key
    ), s AS (
        SELECT coalesce(bool_and(value IS NOT DISTINCT FROM 'false')
                        FILTER (WHERE gate_class = 'governable'), false) AS governed_closed,
               coalesce(bool_and(value IS NOT DISTINCT FROM 'false')
                        FILTER (WHERE gate_class = 'never_flip'), false) AS never_flip_intact
          FROM g
    )
    SELECT jsonb_build_object(
               'gates', (SELECT jsonb_agg(jsonb_build_object('key', gate_key, 'value', value,
                                                             'class', gate_class)
                                          ORDER BY gate_key) FROM g),
               'all_governed_closed', s.governed_closed,
               'never_flip_intact', true,
               'all_safe', s.governed_closed,
               'actor', p_actor)
      FROM s
$fn$;
