//! Generated functions: signatures, overloads, languages, attributes, bodies.

use crate::ident::{arb_hostile_ident, arb_plain_ident, truncate_bytes, MAX_IDENT_BYTES};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A SQL type an argument or result may have. `CaseDomain` is a domain over
/// integer created in the case schema, so definitions must schema-qualify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SqlType {
    /// `integer`
    Integer,
    /// `bigint`
    Bigint,
    /// `text`
    Text,
    /// `boolean`
    Boolean,
    /// `numeric`
    Numeric,
    /// `jsonb`
    Jsonb,
    /// `uuid`
    Uuid,
    /// `integer[]`
    IntArray,
    /// `text[]`
    TextArray,
    /// `timestamptz`
    Timestamptz,
    /// A domain over integer in the case schema.
    CaseDomain,
}

/// What a function returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Returns {
    /// One value.
    Scalar(SqlType),
    /// `SETOF` a type.
    SetOf(SqlType),
    /// `RETURNS TABLE (...)` with named columns.
    Table(Vec<(String, SqlType)>),
    /// `void`.
    Void,
}

/// Function language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    /// `LANGUAGE sql`
    Sql,
    /// `LANGUAGE plpgsql`
    Plpgsql,
}

impl Lang {
    /// Coverage name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Sql => "sql",
            Lang::Plpgsql => "plpgsql",
        }
    }
}

/// Volatility class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Volatility {
    /// `IMMUTABLE`
    Immutable,
    /// `STABLE`
    Stable,
    /// `VOLATILE`
    Volatile,
}

/// `SECURITY DEFINER` or `SECURITY INVOKER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Security {
    /// `SECURITY DEFINER`
    Definer,
    /// `SECURITY INVOKER`
    Invoker,
}

impl Security {
    /// Coverage name.
    pub fn name(self) -> &'static str {
        match self {
            Security::Definer => "definer",
            Security::Invoker => "invoker",
        }
    }
}

/// A `SET` clause attached to the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfigClause {
    /// None.
    None,
    /// `SET search_path = pg_catalog, pg_temp`
    SearchPath,
    /// `SET work_mem = '64kB'`
    WorkMem,
}

/// One input argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgSpec {
    /// Parameter name (may need quoting), or unnamed.
    pub name: Option<String>,
    /// Its type.
    pub ty: SqlType,
    /// Has a `DEFAULT` (only ever on a suffix of the argument list).
    pub has_default: bool,
}

/// The owner of a generated object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Owner {
    /// The harness's superuser.
    Superuser,
    /// Case role `i % roles.len()`.
    Role(u8),
}

/// One generated function (its name lives in the family).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FnSpec {
    /// Input arguments.
    pub args: Vec<ArgSpec>,
    /// Result.
    pub returns: Returns,
    /// Language.
    pub lang: Lang,
    /// Volatility.
    pub volatility: Volatility,
    /// Security.
    pub security: Security,
    /// `STRICT`.
    pub strict: bool,
    /// `SET` clause.
    pub config: ConfigClause,
    /// A non-default `COST`.
    pub cost: Option<u16>,
    /// Hostile text carried in the body as a comment (never a newline).
    pub note: String,
    /// Owner.
    pub owner: Owner,
}

/// Functions sharing one name: overloads with distinct input types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FnFamily {
    /// The shared name (may need quoting).
    pub name: String,
    /// The overloads (at least one).
    pub members: Vec<FnSpec>,
}

/// Every SQL type the generator uses.
pub fn arb_sql_type() -> impl Strategy<Value = SqlType> {
    prop_oneof![
        3 => Just(SqlType::Integer),
        1 => Just(SqlType::Bigint),
        3 => Just(SqlType::Text),
        1 => Just(SqlType::Boolean),
        1 => Just(SqlType::Numeric),
        1 => Just(SqlType::Jsonb),
        1 => Just(SqlType::Uuid),
        1 => Just(SqlType::IntArray),
        1 => Just(SqlType::TextArray),
        1 => Just(SqlType::Timestamptz),
        2 => Just(SqlType::CaseDomain),
    ]
}

/// A name: mostly plain, often one that needs quoting. Shrinks to `a`.
pub fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("a".to_owned()),
        3 => arb_plain_ident(),
        2 => arb_hostile_ident(),
    ]
}

/// Hostile text for a body comment: dollar quotes, quotes, comment markers,
/// unicode. Never contains a newline or NUL.
pub fn arb_note() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("$function$".to_owned()),
        Just("$$ ; DROP TABLE x; $$".to_owned()),
        Just("it's \\ \"quoted\" */ /*".to_owned()),
        Just("ünïcødé 名前 🦀".to_owned()),
        "[ -~]{0,30}",
    ]
    .prop_map(|s| s.replace(['\n', '\r', '\0'], " "))
}

fn arb_returns() -> impl Strategy<Value = Returns> {
    prop_oneof![
        5 => arb_sql_type().prop_map(Returns::Scalar),
        2 => arb_sql_type().prop_map(Returns::SetOf),
        2 => prop::collection::vec((arb_name(), arb_sql_type()), 1..=3).prop_map(Returns::Table),
        1 => Just(Returns::Void),
    ]
}

fn arb_args() -> impl Strategy<Value = Vec<ArgSpec>> {
    (
        prop::collection::vec(
            (prop::option::weighted(0.7, arb_name()), arb_sql_type()),
            0..=3,
        ),
        0usize..=2,
    )
        .prop_map(|(raw, defaults)| {
            let n = raw.len();
            raw.into_iter()
                .enumerate()
                .map(|(i, (name, ty))| ArgSpec {
                    name,
                    ty,
                    has_default: i + defaults >= n && defaults > 0,
                })
                .collect()
        })
}

/// One function (without its name).
pub fn arb_fn_spec() -> impl Strategy<Value = FnSpec> {
    (
        arb_args(),
        arb_returns(),
        prop_oneof![Just(Lang::Sql), Just(Lang::Plpgsql)],
        prop_oneof![
            Just(Volatility::Immutable),
            Just(Volatility::Stable),
            Just(Volatility::Volatile)
        ],
        prop_oneof![Just(Security::Definer), Just(Security::Invoker)],
        any::<bool>(),
        prop_oneof![
            3 => Just(ConfigClause::None),
            1 => Just(ConfigClause::SearchPath),
            1 => Just(ConfigClause::WorkMem)
        ],
        prop::option::weighted(0.2, 1u16..=1000),
        arb_note(),
        prop_oneof![1 => Just(Owner::Superuser), 3 => any::<u8>().prop_map(Owner::Role)],
    )
        .prop_map(
            |(args, returns, lang, volatility, security, strict, config, cost, note, owner)| {
                let mut f = FnSpec {
                    args,
                    returns,
                    lang,
                    volatility,
                    security,
                    strict,
                    config,
                    cost: cost.filter(|c| *c != 100),
                    note,
                    owner,
                };
                uniquify_param_names(&mut f);
                f
            },
        )
}

/// A family of 1..=`max` overloads under one name, with distinct input types.
pub fn arb_fn_family(max: usize) -> impl Strategy<Value = FnFamily> {
    (
        arb_name(),
        prop::collection::vec(arb_fn_spec(), 1..=max.max(1)),
    )
        .prop_map(|(name, members)| {
            let mut seen = BTreeSet::new();
            let members = members
                .into_iter()
                .filter(|m| seen.insert(m.args.iter().map(|a| a.ty).collect::<Vec<_>>()))
                .collect();
            FnFamily { name, members }
        })
}

/// Make parameter names (inputs and `TABLE` columns, which are OUT
/// parameters) unique, case-sensitively, within the 63-byte limit, and never
/// PL/pgSQL's positional names (`$1`).
fn uniquify_param_names(f: &mut FnSpec) {
    let mut seen = BTreeSet::new();
    let mut fix = |name: &mut String, i: usize| {
        // PL/pgSQL declares `$1`, `$2`, ... itself: such names collide
        if name.len() > 1 && name.starts_with('$') && name[1..].bytes().all(|b| b.is_ascii_digit())
        {
            name.insert(0, 'p');
        }
        if !seen.insert(name.clone()) {
            let suffix = format!("_{i}");
            *name = format!(
                "{}{suffix}",
                truncate_bytes(name, MAX_IDENT_BYTES - suffix.len())
            );
            seen.insert(name.clone());
        }
    };
    let mut i = 0;
    for a in &mut f.args {
        if let Some(n) = &mut a.name {
            fix(n, i);
        }
        i += 1;
    }
    if let Returns::Table(cols) = &mut f.returns {
        for (n, _) in cols.iter_mut() {
            fix(n, i);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::samples;

    #[test]
    fn params_are_unique_and_defaults_are_a_suffix() {
        for f in samples(arb_fn_spec(), 500) {
            let mut names: Vec<&String> = f.args.iter().filter_map(|a| a.name.as_ref()).collect();
            if let Returns::Table(cols) = &f.returns {
                names.extend(cols.iter().map(|c| &c.0));
            }
            let set: BTreeSet<_> = names.iter().collect();
            assert_eq!(set.len(), names.len(), "{f:?}");
            assert!(names
                .iter()
                .all(|n| n.len() <= MAX_IDENT_BYTES && !n.is_empty()));
            let first_default = f.args.iter().position(|a| a.has_default);
            if let Some(p) = first_default {
                assert!(f.args[p..].iter().all(|a| a.has_default), "{f:?}");
            }
        }
    }

    #[test]
    fn family_members_have_distinct_input_types() {
        for fam in samples(arb_fn_family(3), 300) {
            assert!(!fam.members.is_empty());
            let sigs: BTreeSet<Vec<SqlType>> = fam
                .members
                .iter()
                .map(|m| m.args.iter().map(|a| a.ty).collect())
                .collect();
            assert_eq!(sigs.len(), fam.members.len());
        }
    }
}
