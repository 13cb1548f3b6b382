//! Generation speed: `cargo run --release -p yamori-gen --example throughput -- [packets] [sources] [prefix] [file]`
//! writes a Bench-scale capture to a sink (no disk; or to `file` when given) and prints packets
//! per second.
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let packets: u64 = args.next().map_or(Ok(5_000_000), |a| a.parse())?;
    let sources: u64 = args.next().map_or(Ok(5_000), |a| a.parse())?;
    let prefix = args.next().unwrap_or_else(|| "203.0.113.0/24".to_string());
    let cfg = yamori_gen::GenConfig {
        darknets: vec![prefix.parse()?],
        scale: yamori_gen::Scale::Bench { packets, sources },
        seed: 7,
        ..yamori_gen::GenConfig::default()
    };
    let file = args.next();
    let mut out = CountingSink(0, file.map(std::fs::File::create).transpose()?);
    let t = Instant::now();
    let truth = yamori_gen::generate(&cfg, &mut out)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} packets ({} sources, {} scanners), {:.1} MB in {secs:.2} s: {:.2} M packets/s",
        truth.packets,
        truth.sources + truth.outside_sources,
        truth.scanners.len(),
        out.0 as f64 / 1e6,
        truth.packets as f64 / secs / 1e6
    );
    Ok(())
}

struct CountingSink(u64, Option<std::fs::File>);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(f) = &mut self.1 {
            f.write_all(buf)?;
        }
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.1 {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}
