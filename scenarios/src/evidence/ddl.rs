//! Rendering generated functions, tables and grants to SQL.
//!
//! Every identifier is quoted with [`quote_ident`]; every value is a typed
//! literal. Bodies are passed as standard string literals, so PostgreSQL
//! chooses its own dollar-quote tag when it renders the definition.

use crate::pg::{quote_ident, quote_literal};
use pgconform_generators::evidence::{
    ConfigClause, FnSpec, Lang, Returns, Security, SqlType, Volatility,
};

/// Name of the domain every case schema holds (for [`SqlType::CaseDomain`]).
pub const DOMAIN_NAME: &str = "ev dom";

/// A type's SQL spelling, qualified where it lives in the case schema.
pub fn type_sql(ty: SqlType, schema: &str) -> String {
    match ty {
        SqlType::Integer => "integer".into(),
        SqlType::Bigint => "bigint".into(),
        SqlType::Text => "text".into(),
        SqlType::Boolean => "boolean".into(),
        SqlType::Numeric => "numeric".into(),
        SqlType::Jsonb => "jsonb".into(),
        SqlType::Uuid => "uuid".into(),
        SqlType::IntArray => "integer[]".into(),
        SqlType::TextArray => "text[]".into(),
        SqlType::Timestamptz => "timestamp with time zone".into(),
        SqlType::CaseDomain => format!("{}.{}", quote_ident(schema), quote_ident(DOMAIN_NAME)),
    }
}

/// A typed literal of `ty`.
pub fn literal(ty: SqlType, schema: &str) -> String {
    let v = match ty {
        SqlType::Integer => "7",
        SqlType::Bigint => "9007199254740993",
        SqlType::Text => "it's ü $$",
        SqlType::Boolean => "true",
        SqlType::Numeric => "3.14159265358979323846",
        SqlType::Jsonb => r#"{"a": [1, "ü"], "b": null}"#,
        SqlType::Uuid => "00000000-0000-0000-0000-000000000001",
        SqlType::IntArray => "{1,2,3}",
        SqlType::TextArray => r#"{a,"b c"}"#,
        SqlType::Timestamptz => "2030-01-02 03:04:05+00",
        SqlType::CaseDomain => "5",
    };
    format!("{}::{}", quote_literal(v), type_sql(ty, schema))
}

fn returns_sql(r: &Returns, schema: &str) -> String {
    match r {
        Returns::Scalar(t) => type_sql(*t, schema),
        Returns::SetOf(t) => format!("SETOF {}", type_sql(*t, schema)),
        Returns::Table(cols) => format!(
            "TABLE ({})",
            cols.iter()
                .map(|(n, t)| format!("{} {}", quote_ident(n), type_sql(*t, schema)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Returns::Void => "void".into(),
    }
}

/// Typed literals of `types`, comma-separated (a select list or an argument list).
fn literal_list(types: impl IntoIterator<Item = SqlType>, schema: &str) -> String {
    types
        .into_iter()
        .map(|t| literal(t, schema))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of a `RETURNS TABLE` function's columns, as literals.
fn row_literals(cols: &[(String, SqlType)], schema: &str) -> String {
    literal_list(cols.iter().map(|(_, t)| *t), schema)
}

fn body_sql(f: &FnSpec, schema: &str) -> String {
    let comment = format!("-- {}\n", f.note);
    let core = match (&f.lang, &f.returns) {
        (Lang::Sql, Returns::Scalar(t)) => format!("SELECT {}", literal(*t, schema)),
        (Lang::Sql, Returns::SetOf(t)) => {
            let l = literal(*t, schema);
            format!("SELECT {l} UNION ALL SELECT {l}")
        }
        (Lang::Sql, Returns::Table(cols)) => format!("SELECT {}", row_literals(cols, schema)),
        (Lang::Sql, Returns::Void) => "SELECT 1".into(),
        (Lang::Plpgsql, Returns::Scalar(t)) => format!("BEGIN RETURN {}; END", literal(*t, schema)),
        (Lang::Plpgsql, Returns::SetOf(t)) => {
            let l = literal(*t, schema);
            format!("BEGIN RETURN NEXT {l}; RETURN NEXT {l}; RETURN; END")
        }
        (Lang::Plpgsql, Returns::Table(cols)) => {
            format!(
                "BEGIN RETURN QUERY SELECT {}; END",
                row_literals(cols, schema)
            )
        }
        (Lang::Plpgsql, Returns::Void) => "BEGIN PERFORM 1; END".into(),
    };
    format!("{comment}{core}")
}

/// The argument list as declared (names, types, defaults).
pub fn args_decl(f: &FnSpec, schema: &str) -> String {
    f.args
        .iter()
        .map(|a| {
            let mut s = String::new();
            if let Some(n) = &a.name {
                s.push_str(&quote_ident(n));
                s.push(' ');
            }
            s.push_str(&type_sql(a.ty, schema));
            if a.has_default {
                s.push_str(" DEFAULT ");
                s.push_str(&literal(a.ty, schema));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `schema.name(type, ...)`: input to `to_regprocedure`.
pub fn signature(f: &FnSpec, schema: &str, name: &str) -> String {
    format!(
        "{}.{}({})",
        quote_ident(schema),
        quote_ident(name),
        f.args
            .iter()
            .map(|a| type_sql(a.ty, schema))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `CREATE OR REPLACE FUNCTION ...` for `f`, with `extra_note` appended to its
/// body comment (used to change a body on purpose).
pub fn create_function(f: &FnSpec, schema: &str, name: &str, extra_note: &str) -> String {
    let mut g = f.clone();
    g.note.push_str(extra_note);
    let lang = match f.lang {
        Lang::Sql => "sql",
        Lang::Plpgsql => "plpgsql",
    };
    let vol = match f.volatility {
        Volatility::Immutable => "IMMUTABLE",
        Volatility::Stable => "STABLE",
        Volatility::Volatile => "VOLATILE",
    };
    let sec = match f.security {
        Security::Definer => "SECURITY DEFINER",
        Security::Invoker => "SECURITY INVOKER",
    };
    let strict = if f.strict { " STRICT" } else { "" };
    let config = match f.config {
        ConfigClause::None => "",
        ConfigClause::SearchPath => " SET search_path = pg_catalog, pg_temp",
        ConfigClause::WorkMem => " SET work_mem = '64kB'",
    };
    let cost = f.cost.map(|c| format!(" COST {c}")).unwrap_or_default();
    format!(
        "CREATE OR REPLACE FUNCTION {}.{}({}) RETURNS {} LANGUAGE {lang} {vol} {sec}{strict}{cost}{config} AS {}",
        quote_ident(schema),
        quote_ident(name),
        args_decl(f, schema),
        returns_sql(&f.returns, schema),
        quote_literal(&body_sql(&g, schema)),
    )
}

/// A query that calls `f` with every argument given and renders all result
/// rows as one text value (deterministic for generated bodies).
pub fn call(f: &FnSpec, schema: &str, name: &str) -> String {
    format!(
        "SELECT coalesce(array_agg(x::text), '{{}}')::text FROM {}.{}({}) AS x",
        quote_ident(schema),
        quote_ident(name),
        literal_list(f.args.iter().map(|a| a.ty), schema)
    )
}
