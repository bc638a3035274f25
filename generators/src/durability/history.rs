//! Agents and their histories: sequences of `cpo.commit_action` calls.

use super::ARTIFACT_TYPES;
use crate::json::{arb_content, arb_hostile_content, arb_json_value_text, json_string, Content};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// The rows of one artifact type carried by one commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactBatch {
    /// A canonical artifact type other than the action log.
    pub artifact_type: String,
    /// Content rows, in commit order.
    pub rows: Vec<Content>,
}

/// One `cpo.commit_action(action_type, action, artifacts, agent, actor)` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// `p_action_type`.
    pub action_type: String,
    /// `p_action` as JSON text.
    pub action: String,
    /// `p_actor_id` (a uuid) or none.
    pub actor: Option<String>,
    /// `p_artifacts`: at most one batch per type.
    pub artifacts: Vec<ArtifactBatch>,
}

impl Commit {
    /// `p_artifacts` as JSON text (content spliced verbatim, numbers exact).
    pub fn artifacts_json(&self) -> String {
        let parts: Vec<String> = self
            .artifacts
            .iter()
            .map(|b| {
                let rows: Vec<&str> = b.rows.iter().map(|c| c.json.as_str()).collect();
                format!("{}:[{}]", json_string(&b.artifact_type), rows.join(","))
            })
            .collect();
        format!("{{{}}}", parts.join(","))
    }

    /// Number of rows this commit writes (the action log included).
    pub fn row_count(&self) -> usize {
        1 + self.artifacts.iter().map(|b| b.rows.len()).sum::<usize>()
    }

    /// True when every content of this commit is accepted jsonb input.
    pub fn is_accepted(&self) -> bool {
        self.artifacts
            .iter()
            .all(|b| b.rows.iter().all(|c| c.kind.is_accepted()))
    }
}

/// One agent and the commits made for it, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryShape {
    /// The agent's uuid.
    pub agent_id: String,
    /// Commits in order.
    pub commits: Vec<Commit>,
}

/// Several agents' histories. Commits are applied agent by agent, or
/// interleaved round-robin when `interleave` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The agents, each with at least one commit.
    pub agents: Vec<HistoryShape>,
    /// Apply commits round-robin across agents instead of agent by agent.
    pub interleave: bool,
}

impl History {
    /// Commits in application order, as `(agent index, commit)`.
    pub fn schedule(&self) -> Vec<(usize, &Commit)> {
        if !self.interleave {
            return self
                .agents
                .iter()
                .enumerate()
                .flat_map(|(i, a)| a.commits.iter().map(move |c| (i, c)))
                .collect();
        }
        let longest = self
            .agents
            .iter()
            .map(|a| a.commits.len())
            .max()
            .unwrap_or(0);
        let mut out = Vec::new();
        for step in 0..longest {
            for (i, a) in self.agents.iter().enumerate() {
                if let Some(c) = a.commits.get(step) {
                    out.push((i, c));
                }
            }
        }
        out
    }

    /// Total rows over all agents.
    pub fn row_count(&self) -> usize {
        self.agents
            .iter()
            .flat_map(|a| &a.commits)
            .map(Commit::row_count)
            .sum()
    }

    /// Artifact types (besides the action log) with at least one row.
    pub fn types_touched(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .agents
            .iter()
            .flat_map(|a| &a.commits)
            .flat_map(|c| &c.artifacts)
            .filter(|b| !b.rows.is_empty())
            .map(|b| b.artifact_type.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// The uuid of the agent at `index`: readable and stable under shrinking.
pub fn agent_uuid(index: usize) -> String {
    format!("a0000000-0000-4000-8000-{:012x}", index + 1)
}

/// The uuid of the actor at `index`.
pub fn actor_uuid(index: u64) -> String {
    format!("b0000000-0000-4000-8000-{:012x}", index + 1)
}

/// True when `s` is a uuid in the canonical lowercase 8-4-4-4-12 form.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

impl History {
    /// Why this history is not a valid input (a recorded or hand-edited case
    /// can be anything): at least one agent, distinct canonical uuids, each
    /// agent with at least one commit, real actors (uuids), a non-empty
    /// action type, at most one batch per known artifact type, each with at
    /// least one row. A property rejects (never fails on) an invalid input.
    pub fn validate(&self) -> Result<(), String> {
        if self.agents.is_empty() {
            return Err("a history needs at least one agent".into());
        }
        let mut ids: Vec<&str> = Vec::new();
        for a in &self.agents {
            if !is_uuid(&a.agent_id) {
                return Err(format!("agent_id {:?} is not a uuid", a.agent_id));
            }
            if ids.contains(&a.agent_id.as_str()) {
                return Err(format!("agent {} appears twice", a.agent_id));
            }
            ids.push(&a.agent_id);
            if a.commits.is_empty() {
                return Err(format!("agent {} has no commit", a.agent_id));
            }
            for c in &a.commits {
                c.validate()?;
            }
        }
        Ok(())
    }
}

impl Commit {
    /// Why this commit is not a valid input (see [`History::validate`]).
    pub fn validate(&self) -> Result<(), String> {
        if self.action_type.is_empty() {
            return Err("empty action type".into());
        }
        if !self.actor.as_deref().is_some_and(is_uuid) {
            return Err(format!("actor {:?} is not a uuid", self.actor));
        }
        let mut seen: Vec<&str> = Vec::new();
        for b in &self.artifacts {
            if !ARTIFACT_TYPES.contains(&b.artifact_type.as_str()) {
                return Err(format!("{:?} is not an artifact type", b.artifact_type));
            }
            if seen.contains(&b.artifact_type.as_str()) {
                return Err(format!("two batches of {}", b.artifact_type));
            }
            seen.push(&b.artifact_type);
            if b.rows.is_empty() {
                return Err(format!("an empty batch of {}", b.artifact_type));
            }
        }
        Ok(())
    }
}

fn arb_batches(
    content: BoxedStrategy<Content>,
    max_rows: usize,
    p_type: f64,
) -> BoxedStrategy<Vec<ArtifactBatch>> {
    // One optional batch per type (fixed length, no flat_map): shrinking turns
    // batches into None and drops rows, one database round trip per step.
    let batch = prop::option::weighted(p_type, prop::collection::vec(content, 1..=max_rows));
    prop::collection::vec(batch, ARTIFACT_TYPES.len())
        .prop_map(|slots| {
            ARTIFACT_TYPES
                .iter()
                .zip(slots)
                .filter_map(|(t, rows)| {
                    rows.map(|rows| ArtifactBatch {
                        artifact_type: (*t).to_owned(),
                        rows,
                    })
                })
                .collect()
        })
        .boxed()
}

fn arb_commit_with(
    content: BoxedStrategy<Content>,
    max_rows: usize,
    p_type: f64,
) -> BoxedStrategy<Commit> {
    (
        "[a-z][a-z_]{0,11}".no_shrink(),
        arb_json_value_text(),
        0u8..4,
        arb_batches(content, max_rows, p_type),
    )
        .prop_map(|(action_type, action, actor, artifacts)| Commit {
            action_type,
            action,
            // Always a real actor: a null actor is the kernel's choice to
            // refuse (v2), so only the probe about null handling passes one.
            actor: Some(actor_uuid(actor.into())),
            artifacts,
        })
        .boxed()
}

/// One commit with accepted content: any subset of the artifact types
/// (possibly none), 1–3 rows each.
pub fn arb_commit() -> impl Strategy<Value = Commit> {
    arb_commit_with(arb_content().boxed(), 3, 0.4)
}

fn arb_history_with(
    agents: std::ops::RangeInclusive<usize>,
    commits: std::ops::RangeInclusive<usize>,
    commit: BoxedStrategy<Commit>,
) -> BoxedStrategy<History> {
    (
        prop::collection::vec(prop::collection::vec(commit, commits), agents),
        any::<bool>(),
    )
        .prop_map(|(agents, interleave)| History {
            agents: agents
                .into_iter()
                .enumerate()
                .map(|(i, commits)| HistoryShape {
                    agent_id: agent_uuid(i),
                    commits,
                })
                .collect(),
            interleave,
        })
        .boxed()
}

/// 1–3 agents with 1–4 commits each, accepted content. Shrinks toward one
/// agent with one commit that carries no artifact.
pub fn arb_history() -> impl Strategy<Value = History> {
    arb_history_with(1..=3, 1..=4, arb_commit().boxed())
}

/// One agent with 1–4 commits (for properties about a single agent).
pub fn arb_single_agent_history() -> impl Strategy<Value = History> {
    arb_history_with(1..=1, 1..=4, arb_commit().boxed())
}

/// One agent with 1–2 commits: the background of probes that are about
/// something else (refusals), small so their failures shrink fast.
pub fn arb_background_history() -> impl Strategy<Value = History> {
    arb_history_with(1..=1, 1..=2, arb_commit().boxed())
}

/// One agent whose commits carry hostile content (some of it refused).
pub fn arb_hostile_history() -> impl Strategy<Value = History> {
    arb_history_with(
        1..=1,
        1..=3,
        arb_commit_with(arb_hostile_content().boxed(), 2, 0.2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{samples, shrink_steps};
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn histories_have_distinct_agents_and_unique_types_per_commit() {
        for h in samples(arb_history(), 100) {
            let mut ids: Vec<&str> = h.agents.iter().map(|a| a.agent_id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), h.agents.len());
            for c in h.agents.iter().flat_map(|a| &a.commits) {
                let mut t: Vec<&str> = c
                    .artifacts
                    .iter()
                    .map(|b| b.artifact_type.as_str())
                    .collect();
                t.sort_unstable();
                let n = t.len();
                t.dedup();
                assert_eq!(n, t.len(), "duplicate type in one commit");
                assert!(c.is_accepted());
            }
            assert_eq!(
                h.schedule().len(),
                h.agents.iter().map(|a| a.commits.len()).sum::<usize>()
            );
        }
    }

    #[test]
    fn histories_stay_valid_while_shrinking() {
        let mut runner = TestRunner::deterministic();
        for strategy in [
            arb_history().boxed(),
            arb_single_agent_history().boxed(),
            arb_hostile_history().boxed(),
        ] {
            for _ in 0..30 {
                let mut tree = strategy.new_tree(&mut runner).expect("strategy");
                assert_eq!(tree.current().validate(), Ok(()));
                for h in shrink_steps(&mut tree, 200) {
                    assert_eq!(h.validate(), Ok(()), "{h:?}");
                    assert!(h
                        .agents
                        .iter()
                        .flat_map(|a| &a.commits)
                        .all(|c| c.actor.is_some()));
                }
            }
        }
    }

    #[test]
    fn invalid_histories_are_named() {
        let empty = History {
            agents: vec![],
            interleave: false,
        };
        assert!(empty.validate().is_err());
        let blank = History {
            agents: vec![HistoryShape {
                agent_id: String::new(),
                commits: vec![],
            }],
            interleave: false,
        };
        assert!(blank.validate().is_err());
    }
}
