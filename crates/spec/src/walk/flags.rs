//! `[flags.NAME]` declarations and `[env.E.flags]` entries: TOML values
//! become JSON values (integers `i64`, floats `f64`, tables objects), rules
//! and rollouts become the [`crate::flag`] model, and each declaration is
//! checked with [`FlagSpec::validate`]. Where every field was written is
//! kept, so problems found on the model point at the file.
//! Checks that need the declarations (env entries) live in `resolve`.

use super::{Context, Value, Walker, found, is_simple_name, join};
use crate::code;
use crate::diagnostic::SpecProblem;
use crate::flag::{
    Condition, FlagOverride, FlagSpec, FlagType, Rollout, Serve, Targeting, TargetingRule,
    flag_code, invalid_rule_problem, unknown_flag_type_problem,
};
use crate::raw::{RawFlagOverride, RawFlags};
use crate::suggest::closest;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::de::DeValue;

pub(crate) const FLAG_KEYS: &[&str] = &[
    "type",
    "default",
    "description",
    "owner",
    "expires",
    "variants",
    "rules",
    "rollout",
];
pub(crate) const FLAG_OVERRIDE_KEYS: &[&str] = &["value", "enabled", "rules", "rollout"];
pub(crate) const ROLLOUT_KEYS: &[&str] = &["percentage", "variant", "value"];

/// Field path → span of where it was written.
type Spans = BTreeMap<String, Range<usize>>;

/// Gives `problem` the span of its field, or of the nearest written parent
/// field (`flags.x.rules[0].variant` → `flags.x.rules[0]` → `flags.x`).
pub(crate) fn locate(problem: SpecProblem, spans: &Spans) -> SpecProblem {
    if problem.span.is_some() {
        return problem;
    }
    let mut field = problem.field.clone().unwrap_or_default();
    loop {
        if let Some(span) = spans.get(&field) {
            return problem.span(span.clone());
        }
        match field.rfind(['.', '[']) {
            Some(cut) => field.truncate(cut),
            None => return problem,
        }
    }
}

impl Walker<'_> {
    /// `[flags]`: every declaration, checked on its own.
    pub(crate) fn flags(&mut self, value: &Value<'_>) -> RawFlags {
        let mut raw = RawFlags::default();
        let Some(table) = self.table(value, "flags") else {
            return raw;
        };
        for (key, value) in table.iter() {
            let name = key.get_ref().to_string();
            let field = join("flags", &name);
            raw.spans.insert(field.clone(), key.span());
            if !is_simple_name(&name) {
                self.problems.push(
                    SpecProblem::error(code::INVALID_NAME, format!("flag name `{name}` is not a simple name"))
                        .field(&field)
                        .span(key.span())
                        .label("bad flag name")
                        .hint("flag names are lowercase letters, digits, `-` and `_`, starting with a letter, e.g. `analytics` or `new-checkout`"),
                );
            }
            raw.written.push(name.clone());
            if let Some(flag) = self.flag(&name, key.span(), value, &field, &mut raw.spans) {
                for problem in flag.validate(&field) {
                    self.problems.push(locate(problem, &raw.spans));
                }
                raw.declared.insert(name, flag);
            }
        }
        raw
    }

    /// One `[flags.NAME]`; `None` when a required key is missing or bad
    /// (already reported).
    fn flag(
        &mut self,
        name: &str,
        key_span: Range<usize>,
        value: &Value<'_>,
        field: &str,
        spans: &mut Spans,
    ) -> Option<FlagSpec> {
        let table = self.table(value, field)?;
        self.unknown_keys(table, FLAG_KEYS, field);
        let mut kind = None;
        let mut default = None;
        let mut description = None;
        let mut owner = None;
        let mut expires = None;
        let mut variants = BTreeMap::new();
        let mut rules = Vec::new();
        let mut rollout = None;
        let mut complete = true;
        for (key, value) in table.iter() {
            let key: &str = key.get_ref();
            let key_field = join(field, key);
            spans.insert(key_field.clone(), value.span());
            let ok = match key {
                "type" => {
                    kind = self.flag_type(value, &key_field);
                    kind.is_some()
                }
                "default" => {
                    default = self.json(value, &key_field);
                    default.is_some()
                }
                "description" => {
                    description = self
                        .string(value, &key_field, Context::Value)
                        .map(|s| s.value);
                    description.is_some()
                }
                "owner" => {
                    owner = self
                        .string(value, &key_field, Context::Value)
                        .map(|s| s.value);
                    owner.is_some()
                }
                "expires" => {
                    expires = self.expires(value, &key_field);
                    expires.is_some()
                }
                "variants" => match self.json_table(value, &key_field, spans) {
                    Some(values) => {
                        variants = values;
                        true
                    }
                    None => false,
                },
                "rules" => match self.rules(value, &key_field, spans) {
                    Some(list) => {
                        rules = list;
                        true
                    }
                    None => false,
                },
                "rollout" => {
                    rollout = self.rollout(value, &key_field, spans);
                    rollout.is_some()
                }
                _ => true,
            };
            complete &= ok;
        }
        for (key, present) in [
            ("type", table.contains_key("type")),
            ("default", table.contains_key("default")),
            ("description", table.contains_key("description")),
        ] {
            if !present {
                complete = false;
                self.problems.push(
                    SpecProblem::error(code::MISSING_KEY, format!("flag `{name}` has no `{key}`"))
                        .field(join(field, key))
                        .span(key_span.clone())
                        .label(format!("no `{key}`"))
                        .hint("a flag needs `type`, `default` and `description`, e.g. type = \"boolean\", default = false, description = \"what it switches\""),
                );
            }
        }
        if !complete {
            return None;
        }
        let targeting = Targeting { rules, rollout };
        Some(FlagSpec {
            name: name.to_string(),
            description: description?,
            kind: kind?,
            default: default?,
            owner,
            expires,
            variants,
            targeting: (!targeting.is_empty()).then_some(targeting),
        })
    }

    fn flag_type(&mut self, value: &Value<'_>, field: &str) -> Option<FlagType> {
        let text = self.string(value, field, Context::Value)?;
        let kind = FlagType::parse(&text.value);
        if kind.is_none() {
            let names = FlagType::ALL.map(FlagType::as_str);
            self.problems.push(
                unknown_flag_type_problem(&text.value, field)
                    .span(text.span)
                    .label("unknown flag type")
                    .suggestion(closest(&text.value, names)),
            );
        }
        kind
    }

    /// `expires`: a string or an unquoted TOML date, as `YYYY-MM-DD`
    /// (whether it is a real date is checked by `FlagSpec::validate`).
    fn expires(&mut self, value: &Value<'_>, field: &str) -> Option<String> {
        match value.get_ref() {
            DeValue::Datetime(datetime) if datetime.time.is_none() && datetime.date.is_some() => {
                Some(datetime.to_string())
            }
            DeValue::Datetime(datetime) => {
                self.problems.push(
                    SpecProblem::error(
                        flag_code::INVALID_EXPIRES,
                        format!("`expires` {datetime} is not a plain date"),
                    )
                    .field(field)
                    .span(value.span())
                    .label("a date and time")
                    .hint("write a date as YYYY-MM-DD, e.g. expires = \"2025-12-31\""),
                );
                None
            }
            _ => self
                .string(value, field, Context::Value)
                .map(|text| text.value),
        }
    }

    /// A TOML value as JSON; `None` (reported) for dates and non-finite
    /// floats, which JSON cannot carry.
    fn json(&mut self, value: &Value<'_>, field: &str) -> Option<serde_json::Value> {
        use serde_json::Value as Json;
        match value.get_ref() {
            DeValue::String(_) => self
                .string(value, field, Context::Value)
                .map(|text| Json::String(text.value)),
            DeValue::Integer(integer) => {
                match i64::from_str_radix(integer.as_str(), integer.radix()) {
                    Ok(n) => Some(Json::from(n)),
                    Err(_) => {
                        self.not_a_flag_value(value, field, "an integer beyond 64 bits");
                        None
                    }
                }
            }
            DeValue::Float(float) => {
                let number = float
                    .as_str()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64);
                match number {
                    Some(number) => Some(Json::Number(number)),
                    None => {
                        self.not_a_flag_value(value, field, "a float that is not a finite number");
                        None
                    }
                }
            }
            DeValue::Boolean(b) => Some(Json::Bool(*b)),
            DeValue::Datetime(_) => {
                self.not_a_flag_value(value, field, "a date-time");
                None
            }
            DeValue::Array(items) => {
                let mut values = Vec::with_capacity(items.len());
                let mut ok = true;
                for (index, item) in items.iter().enumerate() {
                    match self.json(item, &format!("{field}[{index}]")) {
                        Some(value) => values.push(value),
                        None => ok = false,
                    }
                }
                ok.then_some(Json::Array(values))
            }
            DeValue::Table(table) => {
                let mut object = serde_json::Map::new();
                let mut ok = true;
                for (key, item) in table.iter() {
                    match self.json(item, &join(field, key.get_ref())) {
                        Some(value) => {
                            object.insert(key.get_ref().to_string(), value);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(Json::Object(object))
            }
        }
    }

    /// A table of named JSON values (`variants`).
    fn json_table(
        &mut self,
        value: &Value<'_>,
        field: &str,
        spans: &mut Spans,
    ) -> Option<BTreeMap<String, serde_json::Value>> {
        let table = self.table(value, field)?;
        let mut values = BTreeMap::new();
        let mut ok = true;
        for (key, item) in table.iter() {
            let key_field = join(field, key.get_ref());
            spans.insert(key_field.clone(), item.span());
            match self.json(item, &key_field) {
                Some(value) => {
                    values.insert(key.get_ref().to_string(), value);
                }
                None => ok = false,
            }
        }
        ok.then_some(values)
    }

    fn not_a_flag_value(&mut self, value: &Value<'_>, field: &str, what: &str) {
        self.problems.push(
            SpecProblem::error(code::WRONG_TYPE, format!("`{field}`: {what} is not a flag value"))
                .field(field)
                .span(value.span())
                .label("not a flag value")
                .hint("flag values are booleans, strings, integers, floats, arrays and tables; quote dates"),
        );
    }

    /// `rules = [ { attribute, OP = operand, variant | value }, … ]`.
    fn rules(
        &mut self,
        value: &Value<'_>,
        field: &str,
        spans: &mut Spans,
    ) -> Option<Vec<TargetingRule>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_kind(
                value,
                field,
                "an array of rule tables",
                "write rules = [{ attribute = \"email\", starts_with = \"qa-\", value = true }]",
            );
            return None;
        };
        let mut rules = Vec::with_capacity(items.len());
        let mut ok = true;
        for (index, item) in items.iter().enumerate() {
            let rule_field = format!("{field}[{index}]");
            spans.insert(rule_field.clone(), item.span());
            match self.rule(item, &rule_field, spans) {
                Some(rule) => rules.push(rule),
                None => ok = false,
            }
        }
        ok.then_some(rules)
    }

    fn rule(&mut self, value: &Value<'_>, field: &str, spans: &mut Spans) -> Option<TargetingRule> {
        let table = self.table(value, field)?;
        let known: Vec<&str> = ["attribute", "variant", "value"]
            .into_iter()
            .chain(Condition::OPS.iter().copied())
            .collect();
        self.unknown_keys(table, &known, field);
        let mut attribute = None;
        let mut complete = true;
        let mut operators = Vec::new();
        let mut serves = Vec::new();
        for (key, item) in table.iter() {
            let key: &str = key.get_ref();
            let key_field = join(field, key);
            spans.insert(key_field.clone(), item.span());
            match key {
                "attribute" => {
                    attribute = self.string(item, &key_field, Context::Value);
                    complete &= attribute.is_some();
                }
                op if Condition::OPS.contains(&op) => match self.json(item, &key_field) {
                    Some(operand) => operators.push((op, operand, item.span())),
                    None => complete = false,
                },
                "variant" | "value" => match self.serve(key, item, &key_field) {
                    Some(serve) => serves.push(serve),
                    None => complete = false,
                },
                _ => {}
            }
        }
        if !table.contains_key("attribute") {
            complete = false;
            self.problems.push(
                invalid_rule_problem("a rule needs the context `attribute` it compares", field)
                    .span(value.span())
                    .label("no `attribute`"),
            );
        }
        let condition = match operators.as_slice() {
            [(op, operand, span)] => match Condition::from_op(op, operand.clone()) {
                Ok(condition) => Some(condition),
                Err(message) => {
                    self.problems.push(
                        invalid_rule_problem(message, &join(field, op))
                            .span(span.clone())
                            .label("bad operand"),
                    );
                    None
                }
            },
            [] => {
                self.problems.push(
                    invalid_rule_problem(
                        format!("a rule needs one operator: {}", Condition::OPS.join(", ")),
                        field,
                    )
                    .span(value.span())
                    .label("no operator"),
                );
                None
            }
            several => {
                let names: Vec<String> = several.iter().map(|(op, ..)| format!("`{op}`")).collect();
                self.problems.push(
                    invalid_rule_problem(
                        format!(
                            "a rule has several operators ({}); keep one",
                            names.join(", ")
                        ),
                        field,
                    )
                    .span(value.span())
                    .label("several operators"),
                );
                None
            }
        };
        let serve = self.one_serve(serves, value, field, "a rule");
        if !complete {
            return None;
        }
        Some(TargetingRule {
            attribute: attribute?.value,
            condition: condition?,
            serve: serve?,
        })
    }

    /// `rollout = { percentage, variant | value }`.
    fn rollout(&mut self, value: &Value<'_>, field: &str, spans: &mut Spans) -> Option<Rollout> {
        let table = self.table(value, field)?;
        spans.insert(field.to_string(), value.span());
        self.unknown_keys(table, ROLLOUT_KEYS, field);
        let mut percentage = None;
        let mut serves = Vec::new();
        let mut complete = true;
        for (key, item) in table.iter() {
            let key: &str = key.get_ref();
            let key_field = join(field, key);
            spans.insert(key_field.clone(), item.span());
            match key {
                "percentage" => {
                    percentage = match item.get_ref() {
                        DeValue::Integer(_) | DeValue::Float(_) => {
                            self.json(item, &key_field).and_then(|n| n.as_f64())
                        }
                        _ => {
                            self.wrong_kind(
                                item,
                                &key_field,
                                "a number",
                                "write a number from 0 to 100, e.g. percentage = 25 or 12.5",
                            );
                            None
                        }
                    };
                    complete &= percentage.is_some();
                }
                "variant" | "value" => match self.serve(key, item, &key_field) {
                    Some(serve) => serves.push(serve),
                    None => complete = false,
                },
                _ => {}
            }
        }
        if !table.contains_key("percentage") {
            complete = false;
            self.problems.push(
                SpecProblem::error(code::MISSING_KEY, "a rollout has no `percentage`")
                    .field(join(field, "percentage"))
                    .span(value.span())
                    .label("no `percentage`")
                    .hint("write rollout = { percentage = 25, variant = \"on\" }"),
            );
        }
        let serve = self.one_serve(serves, value, field, "a rollout");
        if !complete {
            return None;
        }
        Some(Rollout {
            percentage: percentage?,
            serve: serve?,
        })
    }

    fn serve(&mut self, key: &str, value: &Value<'_>, field: &str) -> Option<Serve> {
        if key == "variant" {
            self.string(value, field, Context::Value)
                .map(|name| Serve::Variant(name.value))
        } else {
            self.json(value, field).map(Serve::Value)
        }
    }

    /// Exactly one of `variant` / `value`, else reported.
    fn one_serve(
        &mut self,
        serves: Vec<Serve>,
        value: &Value<'_>,
        field: &str,
        what: &str,
    ) -> Option<Serve> {
        let count = serves.len();
        if count == 1 {
            return serves.into_iter().next();
        }
        let table_has = |key| matches!(value.get_ref(), DeValue::Table(t) if t.contains_key(key));
        // A bad `variant` / `value` was reported already.
        if count == 0 && (table_has("variant") || table_has("value")) {
            return None;
        }
        self.problems.push(
            invalid_rule_problem(
                format!(
                    "{what} serves exactly one of `variant` or `value`, found {}",
                    if count == 0 { "neither" } else { "both" }
                ),
                field,
            )
            .span(value.span())
            .label(if count == 0 {
                "nothing to serve"
            } else {
                "two things to serve"
            }),
        );
        None
    }

    fn wrong_kind(&mut self, value: &Value<'_>, field: &str, expected: &str, hint: &str) {
        self.problems.push(
            SpecProblem::error(
                code::WRONG_TYPE,
                format!(
                    "`{field}`: expected {expected}, found {}",
                    found(value.get_ref())
                ),
            )
            .field(field)
            .span(value.span())
            .label(format!("expected {expected}"))
            .hint(hint),
        );
    }

    /// `[env.E.flags]`: a plain value sets the env value; a table is the
    /// override form (`value`, `enabled`, `rules`, `rollout`).
    pub(crate) fn env_flags(
        &mut self,
        value: &Value<'_>,
        field: &str,
    ) -> BTreeMap<String, RawFlagOverride> {
        let mut entries = BTreeMap::new();
        let Some(table) = self.table(value, field) else {
            return entries;
        };
        for (key, item) in table.iter() {
            let name = key.get_ref().to_string();
            let entry_field = join(field, &name);
            let mut spans = Spans::new();
            spans.insert(entry_field.clone(), item.span());
            let overlay = match item.get_ref() {
                DeValue::Table(entry) => {
                    self.unknown_keys(entry, FLAG_OVERRIDE_KEYS, &entry_field);
                    let mut overlay = FlagOverride::default();
                    let mut targeting = None::<Targeting>;
                    for (key, part) in entry.iter() {
                        let key: &str = key.get_ref();
                        let key_field = join(&entry_field, key);
                        spans.insert(key_field.clone(), part.span());
                        match key {
                            "value" => overlay.value = self.json(part, &key_field),
                            "enabled" => {
                                overlay.enabled = self.boolean(part, &key_field).map(|b| b.value)
                            }
                            "rules" => {
                                let rules = self.rules(part, &key_field, &mut spans);
                                targeting.get_or_insert_default().rules = rules.unwrap_or_default();
                            }
                            "rollout" => {
                                let rollout = self.rollout(part, &key_field, &mut spans);
                                targeting.get_or_insert_default().rollout = rollout;
                            }
                            _ => {}
                        }
                    }
                    overlay.targeting = targeting;
                    overlay
                }
                _ => FlagOverride {
                    value: self.json(item, &entry_field),
                    ..FlagOverride::default()
                },
            };
            entries.insert(
                name,
                RawFlagOverride {
                    field: entry_field,
                    key_span: key.span(),
                    overlay,
                    spans,
                },
            );
        }
        entries
    }
}
