//! The saved program: `graph.json` (inputs with symbolic shapes, parameter placeholders,
//! nodes in execution order, outputs) plus `weights.safetensors` keyed by `state_dict` names.
use crate::{err, ops, safetensors, Result, RunError};
use ember::{DType, Tensor};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// One dim of an input's declared shape: fixed, or a named dynamic dim (`Dim("batch")`).
#[derive(Debug, Clone, PartialEq)]
pub enum SymDim {
    Static(usize),
    Sym(String),
}

#[derive(Debug, Clone)]
pub struct InputSpec {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<SymDim>,
}

pub(crate) struct Node {
    pub name: String,
    pub target: String,
    pub args: Vec<Value>,
    pub outputs: Vec<String>,
}

pub struct Program {
    pub inputs: Vec<InputSpec>,
    pub outputs: Vec<String>,
    bounds: HashMap<String, (i64, Option<i64>)>,
    nodes: Vec<Node>,
    /// Parameters, buffers and lifted constants by placeholder name.
    consts: HashMap<String, Tensor>,
}

fn bad(what: &str) -> RunError {
    RunError(format!("graph.json: {what}"))
}

impl Program {
    /// Loads `dir/graph.json` and `dir/weights.safetensors` (what `ember.export.save` writes).
    pub fn load(dir: &Path) -> Result<Program> {
        let text =
            std::fs::read_to_string(dir.join("graph.json")).map_err(|e| RunError(format!("{}: {e}", dir.join("graph.json").display())))?;
        let g: Value = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
        if g["format"] != "ember.export" {
            return err("graph.json: not an ember.export program (format field)");
        }
        if g["version"].as_i64() != Some(1) {
            return err(format!("graph.json: format version {} is not supported by this ember-run (1)", g["version"]));
        }
        let weights = safetensors::read(&dir.join("weights.safetensors"))?;
        let mut consts = HashMap::new();
        for p in g["params"].as_array().ok_or_else(|| bad("params"))? {
            let (name, target) = (p["name"].as_str().unwrap_or(""), p["target"].as_str().unwrap_or(""));
            let t = weights.get(target).ok_or_else(|| RunError(format!("weights.safetensors has no tensor {target:?} (for {name})")))?;
            consts.insert(name.to_string(), t.clone());
        }
        let mut inputs = vec![];
        for i in g["inputs"].as_array().ok_or_else(|| bad("inputs"))? {
            let dtype = DType::from_name(i["dtype"].as_str().unwrap_or("")).ok_or_else(|| bad("input dtype"))?;
            let shape = i["shape"]
                .as_array()
                .ok_or_else(|| bad("input shape"))?
                .iter()
                .map(|d| match d {
                    Value::String(s) => Ok(SymDim::Sym(s.clone())),
                    v => v.as_u64().map(|n| SymDim::Static(n as usize)).ok_or_else(|| bad("input dim")),
                })
                .collect::<Result<_>>()?;
            inputs.push(InputSpec { name: i["name"].as_str().unwrap_or("").to_string(), dtype, shape });
        }
        let mut bounds = HashMap::new();
        if let Some(syms) = g["symbols"].as_object() {
            for (k, v) in syms {
                bounds.insert(k.clone(), (v["min"].as_i64().unwrap_or(0), v["max"].as_i64()));
            }
        }
        let strs = |v: &Value| -> Vec<String> {
            v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
        };
        let nodes = g["nodes"]
            .as_array()
            .ok_or_else(|| bad("nodes"))?
            .iter()
            .map(|n| Node {
                name: n["name"].as_str().unwrap_or("").to_string(),
                target: n["target"].as_str().unwrap_or("").to_string(),
                args: n["args"].as_array().cloned().unwrap_or_default(),
                outputs: strs(&n["outputs"]),
            })
            .collect::<Vec<_>>();
        for n in &nodes {
            if !ops::supported(&n.target) {
                return err(format!("node {}: op {} is not supported by this ember-run", n.name, n.target));
            }
        }
        Ok(Program { inputs, outputs: strs(&g["outputs"]), bounds, nodes, consts })
    }

    /// Checks the inputs against the declared ranks, dtypes, static dims and dynamic-dim
    /// bounds; returns the value of every dynamic dim.
    pub fn bind(&self, inputs: &[Tensor]) -> Result<HashMap<String, i64>> {
        if inputs.len() != self.inputs.len() {
            return err(format!("expected {} inputs ({}), got {}", self.inputs.len(), self.input_names().join(", "), inputs.len()));
        }
        let mut syms: HashMap<String, (i64, String)> = HashMap::new();
        for (spec, t) in self.inputs.iter().zip(inputs) {
            if t.ndim() != spec.shape.len() {
                return err(format!(
                    "input {}: expected a {}-D tensor, got shape {:?} ({}-D)",
                    spec.name,
                    spec.shape.len(),
                    t.shape(),
                    t.ndim()
                ));
            }
            if t.dtype() != spec.dtype {
                return err(format!("input {}: expected dtype {}, got {}", spec.name, spec.dtype.name(), t.dtype().name()));
            }
            for (d, (want, &got)) in spec.shape.iter().zip(t.shape()).enumerate() {
                match want {
                    SymDim::Static(n) if *n != got => {
                        return err(format!("input {}: dim {d} must be {n} (static in the exported program), got {got}", spec.name));
                    }
                    SymDim::Sym(s) => {
                        let (lo, hi) = self.bounds.get(s).copied().unwrap_or((0, None));
                        if (got as i64) < lo || hi.is_some_and(|h| got as i64 > h) {
                            let hi = hi.map(|h| h.to_string()).unwrap_or("inf".into());
                            return err(format!("input {}: dim {d} ({s}) = {got} is outside its range [{lo}, {hi}]", spec.name));
                        }
                        if let Some((prev, at)) = syms.get(s) {
                            if *prev != got as i64 {
                                return err(format!("input {}: dim {d} ({s}) = {got} but {at} has {s} = {prev}", spec.name));
                            }
                        } else {
                            syms.insert(s.clone(), (got as i64, format!("input {} dim {d}", spec.name)));
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(syms.into_iter().map(|(k, (v, _))| (k, v)).collect())
    }

    /// Runs the program on `inputs` (in the order of `self.inputs`); returns its outputs.
    pub fn run(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let syms = self.bind(inputs)?;
        let mut env: HashMap<String, Tensor> = self.consts.clone();
        for (spec, t) in self.inputs.iter().zip(inputs) {
            env.insert(spec.name.clone(), t.clone());
        }
        for n in &self.nodes {
            let outs = ops::run(&n.target, &n.args, &env, &syms).map_err(|e| RunError(format!("node {} ({}): {e}", n.name, n.target)))?;
            for (name, t) in n.outputs.iter().zip(outs) {
                env.insert(name.clone(), t);
            }
        }
        self.outputs.iter().map(|o| env.get(o).cloned().ok_or_else(|| bad(&format!("output {o} is never computed")))).collect()
    }

    pub fn input_names(&self) -> Vec<String> {
        self.inputs.iter().map(|i| i.name.clone()).collect()
    }
}
