-- variant: null-action-stored
-- choice: section 1, commit_action: whether a null p_action or p_action_type is refused or stored as JSON null is the kernel's choice (v2)
-- why: the reference refuses a null action and action type; a kernel that stores them as JSON null (and a null actor too) is as correct
DO $v$
DECLARE
    v_def text := pg_get_functiondef('cpo.commit_action(text,jsonb,jsonb,uuid,uuid)'::regprocedure);
    v_old text := $o$IF p_action_type IS NULL OR p_action IS NULL THEN$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'variant anchor not found';
    END IF;
    EXECUTE replace(v_def, v_old, $n$IF false THEN$n$);
END
$v$;
