//! NumPy's `.npy` and `.npz` files (`np.load`): what Keras's `mnist.npz` is.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;
use tch::{Kind, Tensor};

/// Reads every array of an `.npz` archive (stored or deflate-compressed, zip64 too):
/// `(name, tensor)` pairs in archive order, names without `.npy` (`f["x_train"]`).
/// Supported dtypes: bool, int8, uint8, int16, int32, int64, float32, float64
/// (little-endian).
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let arrays = load_npz("mnist.npz")?;
/// let (_, x_train) = arrays.iter().find(|(n, _)| n == "x_train").unwrap();
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn load_npz(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let corrupt = |what: &str| Error::CorruptFile {
        path: path.to_path_buf(),
        expected: format!("expected a .npz (zip) archive: {what}"),
    };
    let mut out = Vec::new();
    for (name, data) in zip_entries(&bytes).map_err(|e| corrupt(&e))? {
        let t = parse_npy(&data).map_err(|e| Error::CorruptFile {
            path: path.to_path_buf(),
            expected: format!("expected a .npy array in member {name}: {e}"),
        })?;
        out.push((name.trim_end_matches(".npy").to_string(), t));
    }
    Ok(out)
}

fn u16_at(b: &[u8], i: usize) -> std::result::Result<u64, String> {
    b.get(i..i + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]) as u64)
        .ok_or_else(|| "truncated".to_string())
}
fn u32_at(b: &[u8], i: usize) -> std::result::Result<u64, String> {
    b.get(i..i + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64)
        .ok_or_else(|| "truncated".to_string())
}
fn u64_at(b: &[u8], i: usize) -> std::result::Result<u64, String> {
    b.get(i..i + 8)
        .map(|s| u64::from_le_bytes(s.try_into().unwrap_or([0; 8])))
        .ok_or_else(|| "truncated".to_string())
}

/// The members of a zip archive, decompressed: `(name, bytes)`.
fn zip_entries(b: &[u8]) -> std::result::Result<Vec<(String, Vec<u8>)>, String> {
    let start = b.len().saturating_sub(65_557);
    let eocd = (start..b.len().saturating_sub(21))
        .rev()
        .find(|&i| b[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or("no end-of-central-directory record")?;
    let (mut count, mut cd_off) = (u16_at(b, eocd + 10)?, u32_at(b, eocd + 16)?);
    if (count == 0xFFFF || cd_off == 0xFFFF_FFFF)
        && eocd >= 20
        && b[eocd - 20..eocd - 16] == [0x50, 0x4b, 0x06, 0x07]
    {
        let z = u64_at(b, eocd - 12)? as usize;
        if b.get(z..z + 4) != Some(&[0x50, 0x4b, 0x06, 0x06]) {
            return Err("bad zip64 end-of-central-directory record".into());
        }
        count = u64_at(b, z + 32)?;
        cd_off = u64_at(b, z + 48)?;
    }
    let mut p = cd_off as usize;
    let mut out = Vec::new();
    for _ in 0..count {
        if b.get(p..p + 4) != Some(&[0x50, 0x4b, 0x01, 0x02]) {
            return Err(format!("bad central directory entry at byte {p}"));
        }
        let method = u16_at(b, p + 10)?;
        let (mut csize, mut usize_, name_len, extra_len, comment_len) = (
            u32_at(b, p + 20)?,
            u32_at(b, p + 24)?,
            u16_at(b, p + 28)? as usize,
            u16_at(b, p + 30)? as usize,
            u16_at(b, p + 32)? as usize,
        );
        let mut local = u32_at(b, p + 42)?;
        let name = String::from_utf8_lossy(b.get(p + 46..p + 46 + name_len).ok_or("truncated")?)
            .into_owned();
        // zip64 extra field: the 0xFFFFFFFF fields follow in order
        let mut e = p + 46 + name_len;
        let end = e + extra_len;
        while e + 4 <= end {
            let (id, len) = (u16_at(b, e)?, u16_at(b, e + 2)? as usize);
            if id == 1 {
                let mut q = e + 4;
                for field in [&mut usize_, &mut csize, &mut local] {
                    if *field == 0xFFFF_FFFF {
                        *field = u64_at(b, q)?;
                        q += 8;
                    }
                }
            }
            e += 4 + len;
        }
        p = end + comment_len;
        let l = local as usize;
        if b.get(l..l + 4) != Some(&[0x50, 0x4b, 0x03, 0x04]) {
            return Err(format!("bad local header for {name}"));
        }
        let data_start = l + 30 + u16_at(b, l + 26)? as usize + u16_at(b, l + 28)? as usize;
        let raw = b
            .get(data_start..data_start + csize as usize)
            .ok_or_else(|| format!("truncated member {name}"))?;
        let data = match method {
            0 => raw.to_vec(),
            8 => {
                let mut v = Vec::with_capacity(usize_ as usize);
                flate2::read::DeflateDecoder::new(raw)
                    .read_to_end(&mut v)
                    .map_err(|e| format!("{name}: {e}"))?;
                v
            }
            m => return Err(format!("{name} uses unsupported compression method {m}")),
        };
        if data.len() as u64 != usize_ {
            return Err(format!(
                "{name}: expected {usize_} bytes, found {}",
                data.len()
            ));
        }
        out.push((name, data));
    }
    Ok(out)
}

/// Parses one `.npy` array.
fn parse_npy(b: &[u8]) -> std::result::Result<Tensor, String> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err("missing the \\x93NUMPY magic".into());
    }
    let (hlen, hstart) = if b[6] == 1 {
        (u16_at(b, 8)? as usize, 10)
    } else {
        (u32_at(b, 8)? as usize, 12)
    };
    let header = std::str::from_utf8(b.get(hstart..hstart + hlen).ok_or("truncated header")?)
        .map_err(|e| e.to_string())?;
    let field = |key: &str| -> std::result::Result<&str, String> {
        let i = header
            .find(&format!("'{key}'"))
            .ok_or(format!("header has no '{key}'"))?;
        Ok(header[i + key.len() + 2..]
            .trim_start()
            .trim_start_matches(':')
            .trim_start())
    };
    let descr_raw = field("descr")?;
    let descr = descr_raw
        .trim_start_matches('\'')
        .split('\'')
        .next()
        .unwrap_or("");
    let kind = match descr {
        "|b1" => Kind::Bool,
        "|i1" => Kind::Int8,
        "|u1" | "<u1" => Kind::Uint8,
        "<i2" => Kind::Int16,
        "<i4" => Kind::Int,
        "<i8" => Kind::Int64,
        "<f4" => Kind::Float,
        "<f8" => Kind::Double,
        other => return Err(format!("unsupported dtype '{other}'")),
    };
    let fortran = field("fortran_order")?.starts_with("True");
    let shape_txt = field("shape")?;
    let inner = shape_txt
        .trim_start_matches('(')
        .split(')')
        .next()
        .unwrap_or("");
    let shape: Vec<i64> = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().map_err(|_| format!("bad shape '{inner}'")))
        .collect::<std::result::Result<_, _>>()?;
    let data = &b[hstart + hlen..];
    let numel: i64 = shape.iter().product();
    let need = numel as usize * kind.elt_size_in_bytes();
    if data.len() != need {
        return Err(format!(
            "shape {shape:?} of {descr} needs {need} bytes, found {}",
            data.len()
        ));
    }
    if fortran {
        let rev: Vec<i64> = shape.iter().rev().copied().collect();
        let t = Tensor::f_from_data_size(data, &rev, kind).map_err(|e| e.to_string())?;
        let dims: Vec<i64> = (0..shape.len() as i64).rev().collect();
        Ok(t.permute(dims).contiguous())
    } else {
        Tensor::f_from_data_size(data, &shape, kind).map_err(|e| e.to_string())
    }
}

/// Writes arrays as an uncompressed `.npz` (for tests and for saving data to share with
/// Python); `Uint8`, `Int64` and `Float` tensors.
pub fn save_npz(path: impl AsRef<Path>, arrays: &[(&str, &Tensor)]) -> Result<()> {
    write_npz(path.as_ref(), arrays, false)
}

fn write_npz(path: &Path, arrays: &[(&str, &Tensor)], compress: bool) -> Result<()> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, t) in arrays {
        let descr = match t.kind() {
            Kind::Uint8 => "|u1",
            Kind::Int64 => "<i8",
            Kind::Float => "<f4",
            k => {
                return Err(Error::InvalidArgument(format!(
                    "save_npz: unsupported dtype {k:?}"
                )))
            }
        };
        let shape: Vec<String> = t.size().iter().map(|d| d.to_string()).collect();
        let shape = if shape.len() == 1 {
            format!("({},)", shape[0])
        } else {
            format!("({})", shape.join(", "))
        };
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut npy = b"\x93NUMPY\x01\x00".to_vec();
        npy.extend((header.len() as u16).to_le_bytes());
        npy.extend(header.as_bytes());
        let t = t.to_device(tch::Device::Cpu).contiguous();
        let mut raw = vec![0u8; t.numel() * t.kind().elt_size_in_bytes()];
        t.f_copy_data_u8(&mut raw, t.numel())?;
        npy.extend(raw);
        let fname = format!("{name}.npy");
        let crc = crc32(&npy);
        let (method, stored) = if compress {
            use std::io::Write;
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&npy).map_err(|e| Error::io(path, e))?;
            (8u8, enc.finish().map_err(|e| Error::io(path, e))?)
        } else {
            (0u8, npy.clone())
        };
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend([20, 0, 0, 0, method, 0, 0, 0, 0, 0]); // version, flags, method, time, date
            v.extend(crc.to_le_bytes());
            v.extend((stored.len() as u32).to_le_bytes());
            v.extend((npy.len() as u32).to_le_bytes());
            v.extend((fname.len() as u16).to_le_bytes());
            v.extend([0, 0]);
        };
        out.extend([0x50, 0x4b, 0x03, 0x04]);
        common(&mut out);
        out.extend(fname.as_bytes());
        out.extend(&stored);
        central.extend([0x50, 0x4b, 0x01, 0x02, 20, 0]);
        common(&mut central);
        central.extend([0; 8]); // comment len, disk, internal attr, external attr (2 of 4)
        central.extend([0, 0]);
        central.extend(offset.to_le_bytes());
        central.extend(fname.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend(&central);
    out.extend([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    out.extend((arrays.len() as u16).to_le_bytes());
    out.extend((arrays.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_off.to_le_bytes());
    out.extend([0, 0]);
    std::fs::write(path, out).map_err(|e| Error::io(path, e))
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npz_round_trip_and_errors() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.npz");
        let x = Tensor::arange(24, (Kind::Int64, tch::Device::Cpu))
            .reshape([2, 3, 4])
            .to_kind(Kind::Uint8);
        let y = Tensor::from_slice(&[1.5f32, -2.0]);
        save_npz(&p, &[("x_train", &x), ("y", &y)]).unwrap();
        let arrays = load_npz(&p).unwrap();
        assert_eq!(arrays[0].0, "x_train");
        assert!(arrays[0].1.equal(&x));
        assert!(arrays[1].1.equal(&y));
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        write_npz(&p, &[("c", &y), ("x", &x)], true).unwrap();
        let arrays = load_npz(&p).unwrap();
        assert!(arrays[0].1.equal(&y) && arrays[1].1.equal(&x));
        std::fs::write(&p, b"not a zip").unwrap();
        let err = load_npz(&p).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}: expected a .npz (zip) archive: no end-of-central-directory record",
                p.display()
            )
        );
    }
}
