//! `einsum`, composed from differentiable ops (so its backward comes for free):
//!
//! 1. parse: each operand gets one label per dim; letters map to `A..Z = 0..25`,
//!    `a..z = 26..51` (ASCII order, which is also the implicit output's order), and the dims
//!    under `...` get labels `ELL + j`, right-aligned across operands so they broadcast;
//! 2. a label repeated inside one operand takes the diagonal (`ii->i`);
//! 3. labels that no later operand and not the output use are summed away at once;
//! 4. operands are contracted left to right: labels in both that are still needed are batch
//!    dims, labels in both that are not are contracted, the rest are kept; each step is
//!    permute → reshape to `[B, M, K] @ [B, K, N]` → bmm → reshape;
//! 5. the result is permuted into the output's order.
use crate::{Error, Result, Tensor};

type Label = usize;
const ELL: Label = 64;

fn label_char(l: Label) -> String {
    match l {
        0..=25 => ((b'A' + l as u8) as char).to_string(),
        26..=51 => ((b'a' + (l - 26) as u8) as char).to_string(),
        _ => "...".into(),
    }
}

/// One side of the equation for one operand: its labels, `None` marking "...".
fn parse_term(term: &str, start: usize, op: usize) -> Result<Vec<Option<Label>>> {
    let b = term.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c @ b'A'..=b'Z' => out.push(Some((c - b'A') as Label)),
            c @ b'a'..=b'z' => out.push(Some((c - b'a') as Label + 26)),
            b'.' => {
                if !term[i..].starts_with("...") || out.contains(&None) {
                    return Err(Error::runtime(format!(
                        "einsum(): found '.' for operand {op} that is not part of any ellipsis. An ellipsis is exactly three dots, at most once per operand."
                    )));
                }
                out.push(None);
                i += 2;
            }
            _ => {
                return Err(Error::runtime(format!(
                    "einsum(): invalid subscript given at index {} in the equation string, subscripts must be in [a-zA-Z]",
                    start + i
                )))
            }
        }
        i += 1;
    }
    Ok(out)
}

/// `einsum(equation, operands)`.
pub fn einsum(equation: &str, operands: &[Tensor]) -> Result<Tensor> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() > operands.len() {
        return Err(Error::runtime(format!(
            "einsum(): fewer operands were provided than specified in the equation ({} operands for {} terms)",
            operands.len(),
            terms.len()
        )));
    }
    if terms.len() < operands.len() {
        return Err(Error::runtime(format!(
            "einsum(): more operands were provided than specified in the equation ({} operands for {} terms)",
            operands.len(),
            terms.len()
        )));
    }
    // 1. labels per operand
    let mut parsed = vec![];
    let mut start = 0;
    for (i, term) in terms.iter().enumerate() {
        parsed.push(parse_term(term, start, i)?);
        start += term.len() + 1;
    }
    let mut n_ell = 0;
    for (i, (p, t)) in parsed.iter().zip(operands).enumerate() {
        let letters = p.iter().filter(|l| l.is_some()).count();
        let has_ell = p.contains(&None);
        if (!has_ell && letters != t.ndim()) || letters > t.ndim() {
            return Err(Error::runtime(format!(
                "einsum(): the number of subscripts in the equation ({letters}) does not match the number of dimensions ({}) for operand {i}{}",
                t.ndim(),
                if has_ell { "" } else { " and no ellipsis was given" }
            )));
        }
        if has_ell {
            n_ell = n_ell.max(t.ndim() - letters);
        }
    }
    let mut labels: Vec<Vec<Label>> = vec![];
    for (p, t) in parsed.iter().zip(operands) {
        let e = t.ndim() - p.iter().filter(|l| l.is_some()).count();
        let mut ls = vec![];
        for l in p {
            match l {
                Some(l) => ls.push(*l),
                None => ls.extend((n_ell - e..n_ell).map(|j| ELL + j)),
            }
        }
        labels.push(ls);
    }
    let count = |l: Label| labels.iter().flatten().filter(|&&x| x == l).count();
    let output: Vec<Label> = match rhs {
        Some(r) => {
            let mut out = vec![];
            for l in parse_term(r, lhs.len() + 2, 0)? {
                match l {
                    None => out.extend((0..n_ell).map(|j| ELL + j)),
                    Some(l) if count(l) == 0 => {
                        return Err(Error::runtime(format!(
                            "einsum(): output subscript {} does not appear in the equation for any input operand",
                            label_char(l)
                        )))
                    }
                    Some(l) if out.contains(&l) => {
                        return Err(Error::runtime(format!(
                            "einsum(): output subscript {} appears more than once in the output",
                            label_char(l)
                        )))
                    }
                    Some(l) => out.push(l),
                }
            }
            out
        }
        None => (0..n_ell).map(|j| ELL + j).chain((0..52).filter(|&l| count(l) == 1)).collect(),
    };
    // sizes must agree (size 1 broadcasts)
    let mut size_of = std::collections::HashMap::new();
    for (i, (ls, t)) in labels.iter().zip(operands).enumerate() {
        for (a, (&l, &s)) in ls.iter().zip(t.shape()).enumerate() {
            if let Some(b) = ls[..a].iter().position(|&x| x == l) {
                if t.shape()[b] != s {
                    return Err(Error::runtime(format!(
                        "einsum(): subscript {} is repeated for operand {i} but the sizes don't match, {} != {s}",
                        label_char(l),
                        t.shape()[b]
                    )));
                }
            }
            let seen = size_of.entry(l).or_insert(s);
            if *seen == 1 {
                *seen = s;
            } else if s != 1 && s != *seen {
                return Err(Error::runtime(format!(
                    "einsum(): subscript {} has size {s} for operand {i} which does not broadcast with previously seen size {seen}",
                    label_char(l)
                )));
            }
        }
    }
    // 2. + 3. diagonals and early sums, per operand
    let mut ops = vec![];
    for (ls, t) in labels.iter().zip(operands) {
        let (mut t, mut ls) = (t.clone(), ls.clone());
        while let Some((a, b)) = repeated(&ls) {
            t = t.diagonal(0, a as i64, b as i64)?;
            let l = ls[a];
            ls.remove(b);
            ls.remove(a);
            ls.push(l);
        }
        ops.push((t, ls));
    }
    let needed =
        |l: Label, after: usize, ops: &[(Tensor, Vec<Label>)]| output.contains(&l) || ops[after..].iter().any(|(_, ls)| ls.contains(&l));
    let (t0, l0) = ops[0].clone();
    let (mut cur, mut cl) = sum_unneeded(t0, l0, |l| needed(l, 1, &ops))?;
    // 4. left-to-right contraction
    for j in 1..ops.len() {
        let (t, tl) = ops[j].clone();
        let (t, tl) = sum_unneeded(t, tl, |l| cl.contains(&l) || needed(l, j + 1, &ops))?;
        (cur, cl) = contract(&cur, &cl, &t, &tl, |l| needed(l, j + 1, &ops), &size_of)?;
    }
    // 5. output order (anything left that the output lacks was summed in step 3)
    let (cur, cl) = sum_unneeded(cur, cl, |l| output.contains(&l))?;
    let perm: Vec<i64> = output.iter().map(|l| cl.iter().position(|x| x == l).unwrap() as i64).collect();
    let identity = perm.iter().enumerate().all(|(i, &p)| i as i64 == p);
    if identity {
        Ok(cur)
    } else {
        cur.permute(&perm)
    }
}

fn repeated(ls: &[Label]) -> Option<(usize, usize)> {
    (0..ls.len()).find_map(|a| (a + 1..ls.len()).find(|&b| ls[a] == ls[b]).map(|b| (a, b)))
}

/// Sums the dims whose label is not `keep`, keeping the operand's dtype.
fn sum_unneeded(t: Tensor, ls: Vec<Label>, keep: impl Fn(Label) -> bool) -> Result<(Tensor, Vec<Label>)> {
    let dims: Vec<i64> = (0..ls.len()).filter(|&i| !keep(ls[i])).map(|i| i as i64).collect();
    if dims.is_empty() {
        return Ok((t, ls));
    }
    let dt = t.dtype();
    let rest = ls.iter().enumerate().filter(|(i, _)| !dims.contains(&(*i as i64))).map(|(_, &l)| l).collect();
    Ok((t.sum_dims(&dims, false, Some(dt))?, rest))
}

/// One pairwise step: `[batch, left, contracted] @ [batch, contracted, right]`.
fn contract(
    a: &Tensor,
    al: &[Label],
    b: &Tensor,
    bl: &[Label],
    needed_later: impl Fn(Label) -> bool,
    size_of: &std::collections::HashMap<Label, usize>,
) -> Result<(Tensor, Vec<Label>)> {
    let both: Vec<Label> = al.iter().copied().filter(|l| bl.contains(l)).collect();
    let batch: Vec<Label> = both.iter().copied().filter(|&l| needed_later(l)).collect();
    let con: Vec<Label> = both.iter().copied().filter(|&l| !needed_later(l)).collect();
    let left: Vec<Label> = al.iter().copied().filter(|l| !bl.contains(l)).collect();
    let right: Vec<Label> = bl.iter().copied().filter(|l| !al.contains(l)).collect();
    let arrange = |t: &Tensor, tl: &[Label], order: [&[Label]; 3]| -> Result<Tensor> {
        let perm: Vec<i64> = order.iter().flat_map(|g| g.iter()).map(|l| tl.iter().position(|x| x == l).unwrap() as i64).collect();
        let t = t.permute(&perm)?;
        // size-1 dims of shared labels broadcast against the other operand
        let full: Vec<i64> = order.iter().flat_map(|g| g.iter()).map(|l| size_of[l] as i64).collect();
        let t = if t.shape().iter().zip(&full).any(|(&s, &f)| s as i64 != f) { t.expand(&full)? } else { t };
        let sz = |g: &[Label]| g.iter().map(|l| size_of[l]).product::<usize>() as i64;
        t.reshape(&[sz(order[0]), sz(order[1]), sz(order[2])])
    };
    let x = arrange(a, al, [&batch, &left, &con])?;
    let y = arrange(b, bl, [&batch, &con, &right])?;
    let shape: Vec<i64> = batch.iter().chain(&left).chain(&right).map(|l| size_of[l] as i64).collect();
    let out = x.bmm(&y)?.reshape(&shape)?;
    Ok((out, batch.into_iter().chain(left).chain(right).collect()))
}
