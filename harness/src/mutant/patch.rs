//! The patch helper a mutant (or variant) file may call to change one
//! fragment of a kernel function instead of copying its whole body.
//!
//! ```sql
//! SELECT pg_temp.pgconform_patch('cpo.guard_canonical_write()',
//!     $old$AND current_user = ...$old$,
//!     $new$$new$);
//! ```
//!
//! `pg_temp.pgconform_patch(fn regprocedure, VARIADIC old_new text[])` reads
//! `pg_get_functiondef(fn)` and, for each pair `old, new` in order, requires
//! `old` to occur exactly once in the definition (as patched so far) and
//! replaces it by `new`; then it executes the result, once, so several hunks
//! may pass through states that would not compile on their own. An anchor
//! found 0 times or more than once raises an error naming the function and
//! the anchor's first line, so the file does not install: a kernel change that
//! moves the anchor makes the mutant `install-broken`, never silently a copy
//! of an old body.
//!
//! The harness defines the helper in `pg_temp` in the same session and
//! transaction, just before the file's own text: it never touches the kernel
//! and vanishes with the session. It is joined onto the file's first line so
//! that the server's error positions still name the file's own lines.

/// The helper's definition, as readable SQL. It must hold no `--` comment:
/// [`with_helpers`] joins it onto one line.
const HELPER: &str = r#"
CREATE OR REPLACE FUNCTION pg_temp.pgconform_patch(fn regprocedure, VARIADIC old_new text[])
RETURNS void LANGUAGE plpgsql AS $pgconform_patch$
DECLARE
    def text := pg_get_functiondef(fn);
    target text := (SELECT format('%I.%I(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes))
                      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = fn);
    i int;
    old text;
    anchor text;
    at int;
    times int;
BEGIN
    IF coalesce(cardinality(old_new), 0) = 0 OR cardinality(old_new) % 2 <> 0 THEN
        RAISE EXCEPTION 'pgconform_patch(%): expected pairs of old and new text, got % texts',
            target, coalesce(cardinality(old_new), 0);
    END IF;
    FOR i IN 1 .. cardinality(old_new) BY 2 LOOP
        old := coalesce(old_new[i], '');
        anchor := split_part(old, E'\n', 1);
        IF old = '' THEN
            RAISE EXCEPTION 'pgconform_patch(%): anchor % of % is empty', target, (i + 1) / 2, cardinality(old_new) / 2;
        END IF;
        at := strpos(def, old);
        IF at = 0 THEN
            RAISE EXCEPTION 'pgconform_patch(%): anchor found 0 times, expected exactly once: %', target, anchor
                USING HINT = 'the kernel function no longer contains this text: update the mutant to the current kernel';
        END IF;
        IF strpos(substr(def, at + 1), old) > 0 THEN
            times := greatest(2, (length(def) - length(replace(def, old, ''))) / length(old));
            RAISE EXCEPTION 'pgconform_patch(%): anchor found % times, expected exactly once: %', target, times, anchor
                USING HINT = 'widen the anchor until it names one place';
        END IF;
        def := overlay(def PLACING coalesce(old_new[i + 1], '') FROM at FOR length(old));
    END LOOP;
    EXECUTE def;
END
$pgconform_patch$;
"#;

/// `text` (a mutant or variant file) preceded by the helper's definition on
/// its first line, so line numbers in server errors still match the file.
pub fn with_helpers(text: &str) -> String {
    let helper = HELPER.trim().replace('\n', " ");
    format!("{helper} {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helper_adds_no_line_and_no_comment() {
        assert!(
            !HELPER.contains("--"),
            "a `--` comment would swallow the rest of line 1"
        );
        let text = "-- mutant: m\n-- kills: A\n-- why: w\nSELECT 1;\n";
        let out = with_helpers(text);
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(out.ends_with(text));
    }

    #[test]
    fn the_helper_has_no_transaction_control() {
        let out = with_helpers("SELECT 1;\n");
        assert!(crate::sut::statements::transaction_control(&out).is_empty());
    }
}
