//! What the Cluster lab's protocol panels keep between renders (inputs as typed, the last
//! comparison), held by the lab so every panel stays a plain function of what it is given.

/// One thing a panel keeps between renders.
#[derive(Clone, Debug, PartialEq)]
pub enum Memo {
    /// An input as typed, so a bad value stays in its field to be fixed.
    Text(String),
    /// A comparison: rows of cells (the last one says what broke, "none" if nothing), or
    /// why it could not run.
    Table(Result<Vec<Vec<String>>, String>),
    /// A table a job worker is computing (`PanelCtx::on_job`): its reply replaces this, unless
    /// another scenario loaded first (then this is gone and the reply is dropped).
    Running,
}

/// What the panels keep between renders, held by the lab so a panel stays a plain function
/// of what it is given (a Yew component per panel would cost the Cluster page several KB).
/// Keys are `"protocol.what"`; tables belong to the scenario they ran on and are dropped
/// when another one loads, typed inputs stay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PanelMemo {
    entries: Vec<(&'static str, Memo)>,
}

impl PanelMemo {
    /// The text kept under `key` ("" when none).
    pub fn text(&self, key: &str) -> &str {
        match self.get(key) {
            Some(Memo::Text(t)) => t,
            _ => "",
        }
    }

    /// The table kept under `key`, if any.
    pub fn table(&self, key: &str) -> Option<&Result<Vec<Vec<String>>, String>> {
        match self.get(key) {
            Some(Memo::Table(t)) => Some(t),
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Option<&Memo> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, m)| m)
    }

    /// Keeps `memo` under `key`, or forgets the key.
    pub fn set(&mut self, key: &'static str, memo: Option<Memo>) {
        self.entries.retain(|(k, _)| *k != key);
        if let Some(m) = memo {
            self.entries.push((key, m));
        }
    }

    /// Whether a worker is computing the table under `key`.
    pub fn running(&self, key: &str) -> bool {
        matches!(self.get(key), Some(Memo::Running))
    }

    /// Forgets every table: another scenario was loaded.
    pub fn drop_tables(&mut self) {
        self.entries.retain(|(_, m)| matches!(m, Memo::Text(_)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_stay_across_loads_and_tables_do_not() {
        let mut m = PanelMemo::default();
        assert_eq!(m.text("locks.client"), "");
        m.set("locks.client", Some(Memo::Text("c2".into())));
        m.set(
            "tpc.compared",
            Some(Memo::Table(Ok(vec![vec!["classic".into(), "none".into()]]))),
        );
        m.set("locks.client", Some(Memo::Text("c3".into())));
        assert_eq!(
            m.text("locks.client"),
            "c3",
            "a key holds one entry, the newest"
        );
        assert_eq!(
            m.table("tpc.compared")
                .and_then(|t| t.as_ref().ok())
                .map(Vec::len),
            Some(1)
        );
        assert_eq!(m.text("tpc.compared"), "", "a table is not a text");
        m.drop_tables();
        assert!(m.table("tpc.compared").is_none());
        assert_eq!(m.text("locks.client"), "c3");
        m.set("locks.client", None);
        assert_eq!(m, PanelMemo::default());
    }

    #[test]
    fn a_table_being_computed_is_forgotten_on_load_like_a_table() {
        let mut m = PanelMemo::default();
        m.set("saga.compared", Some(Memo::Running));
        assert!(m.running("saga.compared"));
        assert!(m.table("saga.compared").is_none(), "no table yet");
        m.drop_tables();
        assert!(
            !m.running("saga.compared"),
            "a reply for the old scenario is dropped"
        );
        m.set("saga.compared", Some(Memo::Running));
        m.set("saga.compared", Some(Memo::Table(Ok(vec![]))));
        assert!(!m.running("saga.compared"));
        assert!(m.table("saga.compared").is_some());
    }
}
