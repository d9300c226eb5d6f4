//! Sign Language MNIST (Kaggle): 28×28 grey hand signs for 24 letters, as two CSV files
//! with a `label` column and 784 `pixelN` columns.

use crate::error::{Error, Result};
use crate::preprocessing::{read_csv, CsvOptions};
use crate::utils::data_dir::spread_indices;
use crate::utils::sample_limit;
use std::path::Path;
use tch::{Kind, Tensor};

/// The 24 letters by label (J and Z need motion and are absent; labels skip 9).
pub const SIGN_LANGUAGE_LETTERS: &str = "ABCDEFGHIKLMNOPQRSTUVWXY";

const KAGGLE: &str = "https://www.kaggle.com/datamunge/sign-language-mnist";

/// Loads `sign_mnist_train.csv` and `sign_mnist_test.csv`:
/// `((x_train, y_train), (x_test, y_test))`, images `(N, 28, 28, 1)` `Kind::Uint8`
/// (divide by 255 as the course does), labels `(N,)` `Kind::Int64`.
pub fn load_sign_language_mnist(
    train_csv: impl AsRef<Path>,
    test_csv: impl AsRef<Path>,
) -> Result<super::TrainTest> {
    Ok((
        read_split(train_csv.as_ref())?,
        read_split(test_csv.as_ref())?,
    ))
}

fn read_split(path: &Path) -> Result<(Tensor, Tensor)> {
    if !path.is_file() {
        return Err(Error::MissingFile {
            name: "Sign Language MNIST CSV".into(),
            path: path.to_path_buf(),
            hint: Some(format!(
                "download sign_mnist_train.csv and sign_mnist_test.csv from {KAGGLE}"
            )),
        });
    }
    let t = read_csv(path, CsvOptions::default())?;
    let corrupt = |expected: String| Error::CorruptFile {
        path: path.to_path_buf(),
        expected,
    };
    if t.shape().1 != 785 || t.col("label").is_err() {
        return Err(corrupt(format!(
            "expected a 'label' column and 784 pixel columns, found {} columns",
            t.shape().1
        )));
    }
    let rows: Vec<usize> = spread_indices(t.len(), sample_limit())
        .into_iter()
        .map(|i| i as usize)
        .collect();
    let t = t.rows_unchecked(&rows);
    let y = t
        .col("label")?
        .to_tensor()
        .map_err(|e| corrupt(e.to_string()))?
        .to_kind(Kind::Int64);
    let x = t
        .drop(&["label"])?
        .to_tensor()
        .map_err(|e| corrupt(e.to_string()))?;
    let n = t.len() as i64;
    Ok((x.to_kind(Kind::Uint8).reshape([n, 28, 28, 1]), y))
}
