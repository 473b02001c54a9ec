//! A hand-written program (linear → relu → add 1.5 with a dynamic batch) run end to end.
use ember::Tensor;
use ember_run::Program;

fn safetensors(entries: &[(&str, &[usize], &[f32])]) -> Vec<u8> {
    let (mut header, mut data) = (vec![], vec![]);
    for (name, shape, vals) in entries {
        let start = data.len();
        for v in *vals {
            data.extend_from_slice(&v.to_le_bytes());
        }
        header.push(format!("\"{name}\": {{\"dtype\": \"F32\", \"shape\": {shape:?}, \"data_offsets\": [{start}, {}]}}", data.len()));
    }
    let h = format!("{{{}}}", header.join(", "));
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(&data);
    out
}

const GRAPH: &str = r#"{"format": "ember.export", "version": 1,
 "symbols": {"batch": {"min": 1, "max": 8}},
 "params": [{"name": "p_fc_weight", "kind": "PARAMETER", "target": "fc.weight"},
            {"name": "p_fc_bias", "kind": "PARAMETER", "target": "fc.bias"}],
 "inputs": [{"name": "x", "dtype": "float32", "shape": ["batch", 2]}],
 "nodes": [
  {"name": "linear", "target": "aten.linear.default", "args": [{"ref": "x"}, {"ref": "p_fc_weight"}, {"ref": "p_fc_bias"}], "outputs": ["linear"]},
  {"name": "relu", "target": "aten.relu.default", "args": [{"ref": "linear"}], "outputs": ["relu"]},
  {"name": "view", "target": "aten.view.default", "args": [{"ref": "relu"}, [{"sym": "batch"}, 2]], "outputs": ["view"]},
  {"name": "add", "target": "aten.add.Tensor", "args": [{"ref": "view"}, 1.5], "outputs": ["add"]}],
 "outputs": ["add"]}"#;

fn program(tag: &str) -> (Program, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("ember-run-test-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("graph.json"), GRAPH).unwrap();
    let w = safetensors(&[("fc.weight", &[2, 2], &[1.0, -1.0, 0.5, 2.0]), ("fc.bias", &[2], &[0.0, -3.0])]);
    std::fs::write(dir.join("weights.safetensors"), w).unwrap();
    (Program::load(&dir).unwrap(), dir)
}

#[test]
fn runs_linear_relu_add() {
    let (prog, dir) = program("run");
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 1.0, -1.0, 0.0], &[3, 2]).unwrap();
    let out = prog.run(&[x]).unwrap();
    // rows: [1-2, 0.5+4-3] = [-1, 1.5] → relu [0, 1.5] → +1.5; [3-1, 1.5+2-3] = [2, 0.5]; [-1, -3.5] → [0, 0]
    assert_eq!(out[0].shape(), &[3, 2]);
    assert_eq!(out[0].to_vec::<f32>().unwrap(), vec![1.5, 3.0, 3.5, 2.0, 1.5, 1.5]);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn checks_inputs() {
    let (prog, dir) = program("check");
    let bad_rank = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    assert!(prog.run(&[bad_rank]).unwrap_err().0.contains("input x: expected a 2-D tensor"));
    let bad_dim = Tensor::from_vec(vec![1.0f32; 6], &[2, 3]).unwrap();
    assert!(prog.run(&[bad_dim]).unwrap_err().0.contains("dim 1 must be 2"));
    let too_big = Tensor::from_vec(vec![1.0f32; 18], &[9, 2]).unwrap();
    assert!(prog.run(&[too_big]).unwrap_err().0.contains("outside its range [1, 8]"));
    let ints = Tensor::from_vec(vec![1i64, 2], &[1, 2]).unwrap();
    assert!(prog.run(&[ints]).unwrap_err().0.contains("expected dtype float32, got int64"));
    std::fs::remove_dir_all(dir).ok();
}
