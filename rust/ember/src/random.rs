//! A seedable PRNG (xoshiro256**), one default generator per process plus user generators.
use std::sync::Mutex;

#[derive(Clone, Debug)]
pub struct Generator {
    s: [u64; 4],
    seed: u64,
    /// A second normal from Box-Muller, kept for the next draw.
    spare: Option<f64>,
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E3779B97F4A7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
    z ^ (z >> 31)
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        let mut x = seed;
        Generator { s: [splitmix(&mut x), splitmix(&mut x), splitmix(&mut x), splitmix(&mut x)], seed, spare: None }
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }
    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    pub fn normal(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        let (u1, u2) = (1.0 - self.uniform(), self.uniform());
        let r = (-2.0 * u1.ln()).sqrt();
        let th = 2.0 * std::f64::consts::PI * u2;
        self.spare = Some(r * th.sin());
        r * th.cos()
    }
    /// Uniform integer in [0, n) without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }
    /// 49 bytes: the four xoshiro words and the seed (little-endian u64s), then a flag byte
    /// and the f64 of the Box–Muller normal kept for the next draw, so a saved state replays
    /// exactly even after an odd number of normals.
    pub fn state(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(49);
        for w in self.s.iter().chain([&self.seed]) {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.push(self.spare.is_some() as u8);
        out.extend_from_slice(&self.spare.unwrap_or(0.0).to_le_bytes());
        out
    }
    /// Restores a `state()`; a 40-byte state (before the kept normal was part of it) means
    /// none is kept. False for any other length or a flag byte other than 0/1.
    pub fn set_state(&mut self, b: &[u8]) -> bool {
        let spare = match b.len() {
            40 => None,
            49 if b[40] == 0 => None,
            49 if b[40] == 1 => Some(f64::from_le_bytes(b[41..49].try_into().unwrap())),
            _ => return false,
        };
        for i in 0..4 {
            self.s[i] = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
        }
        self.seed = u64::from_le_bytes(b[32..40].try_into().unwrap());
        self.spare = spare;
        true
    }
}

pub static DEFAULT: Mutex<Option<Generator>> = Mutex::new(None);

/// Runs `f` with the default generator (seeded from the clock on first use).
pub fn with_default<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    let mut g = DEFAULT.lock().unwrap();
    let gen = g.get_or_insert_with(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        Generator::new(t)
    });
    f(gen)
}

pub fn manual_seed(seed: u64) {
    *DEFAULT.lock().unwrap() = Some(Generator::new(seed));
}
