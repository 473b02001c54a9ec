//! `ember-run model_dir input.npy … [-o out.npy …] [--threads N]`: runs a program saved by
//! `ember.export.save` on ember's Rust kernels and writes each output as a .npy file.
use ember_run::{npy, Program};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: ember-run MODEL_DIR INPUT.npy... [-o OUT.npy]... [--threads N] [--repeat N]";

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ember-run: {e}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut positional, mut outs, mut repeat) = (vec![], vec![], 1usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "-o" | "--output" => outs.push(PathBuf::from(args.next().ok_or("-o needs a file name")?)),
            "--threads" => {
                let n: usize = args.next().and_then(|v| v.parse().ok()).ok_or("--threads needs a positive integer")?;
                ember_cpu::threads::set_num_threads(n);
            }
            // Runs the program N more times and prints the best time of one run (benches/export.py).
            "--repeat" => {
                repeat = args.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0).ok_or("--repeat needs a positive integer")?
            }
            _ => positional.push(PathBuf::from(a)),
        }
    }
    if positional.is_empty() {
        return Err(USAGE.into());
    }
    let prog = Program::load(&positional[0]).map_err(|e| e.to_string())?;
    let inputs = positional[1..].iter().map(|p| npy::read(p)).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    let mut result = prog.run(&inputs).map_err(|e| e.to_string())?;
    if repeat > 1 {
        let mut best = f64::INFINITY;
        for _ in 0..repeat {
            let t0 = std::time::Instant::now();
            result = prog.run(&inputs).map_err(|e| e.to_string())?;
            best = best.min(t0.elapsed().as_secs_f64());
        }
        println!("best_us {:.3}", best * 1e6);
    }
    if outs.len() > result.len() {
        return Err(format!("{} output files given but the program has {} outputs", outs.len(), result.len()));
    }
    for (i, t) in result.iter().enumerate() {
        let path = outs.get(i).cloned().unwrap_or_else(|| PathBuf::from(format!("out{i}.npy")));
        npy::write(&path, t).map_err(|e| e.to_string())?;
    }
    Ok(())
}
