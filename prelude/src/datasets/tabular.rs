//! The small tabular datasets of the course: Iris, California housing (scikit-learn's
//! loaders) and UCI car evaluation (read with `pd.read_csv` in the notebook).

use crate::error::{Error, Result};
use crate::preprocessing::{read_csv, Column, CsvOptions, Table};
use crate::utils::data_dir::offline;
use crate::utils::data_dir::{data_dir, spread_indices};
use crate::utils::get_file::{extract_tar_gz, fetch};
use crate::utils::sample_limit;
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// What scikit-learn's `load_*` / `fetch_*` return: features, targets and their names.
#[derive(Debug)]
pub struct Bunch {
    /// Features `(N, features)`, `Kind::Float` (scikit-learn gives float64; Keras trains in
    /// float32).
    pub data: Tensor,
    /// Targets `(N,)`: class indices `Kind::Int64` for classification, `Kind::Float` values
    /// for regression.
    pub target: Tensor,
    /// The feature names.
    pub feature_names: Vec<String>,
    /// The class names (empty for regression).
    pub target_names: Vec<String>,
}

const IRIS_URL: &str = "https://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data";
const IRIS_SHA: &str = "6f608b71a7317216319b4d27b4d9bc84e6abd734eda7872b71a458569e2656c0";
const CAR_URL: &str = "https://archive.ics.uci.edu/ml/machine-learning-databases/car/car.data";
const CAR_SHA: &str = "b703a9ac69f11e64ce8c223c0a40de4d2e9d769f7fb20be5f8f2e8a619893d83";
const CAL_URL: &str = "https://ndownloader.figshare.com/files/5976036";
const CAL_SHA: &str = "aaa5c9a6afe2225cc2aed2723682ae403280c4a3695a2ddda4ffb5d8215ea681";

/// The car evaluation columns, as the course names them.
pub const CAR_COLUMNS: [&str; 7] = [
    "buying", "maint", "doors", "persons", "lug_boot", "safety", "class",
];

/// The raw California housing columns (StatLib `cal_housing.domain`).
pub const CAL_HOUSING_COLUMNS: [&str; 9] = [
    "longitude",
    "latitude",
    "housingMedianAge",
    "totalRooms",
    "totalBedrooms",
    "population",
    "households",
    "medianIncome",
    "medianHouseValue",
];

/// scikit-learn's `load_iris()`: 150 flowers, 4 features (cm), 3 classes of 50.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let iris = load_iris()?;
/// assert_eq!(iris.data.size(), vec![150, 4]);
/// assert_eq!(iris.target_names, vec!["setosa", "versicolor", "virginica"]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn load_iris() -> Result<Bunch> {
    iris(None)
}

/// [`load_iris`] from `iris.data` in `dir`.
pub fn load_iris_from(dir: impl AsRef<Path>) -> Result<Bunch> {
    iris(Some(dir.as_ref()))
}

fn iris(dir: Option<&Path>) -> Result<Bunch> {
    let path = fetch(
        "Iris data",
        dir,
        "iris",
        "iris.data",
        IRIS_URL,
        Some(IRIS_SHA),
    )?;
    let names = [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
        "class",
    ];
    let t = read_csv(&path, CsvOptions::names(&names))?;
    let t = limit_rows(&t);
    let classes = ["setosa", "versicolor", "virginica"];
    let labels = t.col("class")?.strings();
    let target = labels
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let s = s.trim().trim_start_matches("Iris-");
            classes.iter().position(|c| *c == s).map(|p| p as i64).ok_or_else(|| Error::CorruptFile {
                path: path.clone(),
                expected: format!("expected an Iris class (Iris-setosa, Iris-versicolor, Iris-virginica) in row {}, found '{s}'", i + 1),
            })
        })
        .collect::<Result<Vec<i64>>>()?;
    let features = t.drop(&["class"])?;
    let data = features.to_tensor().map_err(|e| corrupt(&path, e))?;
    Ok(Bunch {
        data,
        target: Tensor::from_slice(&target),
        feature_names: names[..4].iter().map(|s| s.to_string()).collect(),
        target_names: classes.iter().map(|s| s.to_string()).collect(),
    })
}

fn corrupt(path: &Path, e: Error) -> Error {
    Error::CorruptFile {
        path: path.to_path_buf(),
        expected: format!("expected numeric features: {e}"),
    }
}

fn limit_rows(t: &Table) -> Table {
    match sample_limit() {
        Some(n) if n < t.len() => {
            let rows: Vec<usize> = spread_indices(t.len(), Some(n))
                .into_iter()
                .map(|i| i as usize)
                .collect();
            t.rows_unchecked(&rows)
        }
        _ => t.clone(),
    }
}

/// UCI car evaluation as a [`Table`] with the course's column names ([`CAR_COLUMNS`]):
/// 1728 rows, all text (`pd.read_csv(url, names=columns)`).
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let cars = load_car_evaluation()?;
/// let x = get_dummies(&cars.drop(&["class"])?)?.to_tensor()?; // (1728, 21)
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn load_car_evaluation() -> Result<Table> {
    car(None)
}

/// [`load_car_evaluation`] from `car.data` in `dir`.
pub fn load_car_evaluation_from(dir: impl AsRef<Path>) -> Result<Table> {
    car(Some(dir.as_ref()))
}

fn car(dir: Option<&Path>) -> Result<Table> {
    let path = fetch(
        "UCI car evaluation data",
        dir,
        "car_evaluation",
        "car.data",
        CAR_URL,
        Some(CAR_SHA),
    )?;
    Ok(limit_rows(&read_csv(
        &path,
        CsvOptions::names(&CAR_COLUMNS),
    )?))
}

fn cal_housing_path(dir: Option<&Path>) -> Result<PathBuf> {
    let name = "California housing data";
    match crate::utils::data_dir::find_local(
        name,
        dir,
        "california_housing",
        "cal_housing.data",
        Some(CAL_URL),
    ) {
        Ok(p) => Ok(p),
        Err(e) if dir.is_some() || offline() => Err(e),
        Err(_) => {
            let target = data_dir().join("california_housing");
            let archive = fetch(
                name,
                None,
                "california_housing",
                "cal_housing.tgz",
                CAL_URL,
                Some(CAL_SHA),
            )?;
            extract_tar_gz(&archive, |m| {
                m.ends_with("cal_housing.data")
                    .then(|| target.join("cal_housing.data"))
            })?;
            Ok(target.join("cal_housing.data"))
        }
    }
}

/// California housing as StatLib ships it: a [`Table`] of 20640 rows × 9 numeric columns
/// ([`CAL_HOUSING_COLUMNS`], the last one the target `medianHouseValue`).
pub fn load_california_housing_raw() -> Result<Table> {
    cal_raw(None)
}

/// [`load_california_housing_raw`] from `cal_housing.data` in `dir`.
pub fn load_california_housing_raw_from(dir: impl AsRef<Path>) -> Result<Table> {
    cal_raw(Some(dir.as_ref()))
}

fn cal_raw(dir: Option<&Path>) -> Result<Table> {
    let path = cal_housing_path(dir)?;
    let t = read_csv(&path, CsvOptions::names(&CAL_HOUSING_COLUMNS))?;
    if let Some(c) = t.columns().iter().find(|c| !c.is_numeric()) {
        return Err(Error::CorruptFile {
            path,
            expected: format!(
                "expected 9 numeric columns, column '{}' holds text",
                c.name()
            ),
        });
    }
    Ok(limit_rows(&t))
}

/// scikit-learn's `fetch_california_housing()`: 20640 districts, 8 features `MedInc,
/// HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude, Longitude` (rooms,
/// bedrooms and occupancy per household), target the median house value in $100,000s.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let housing = fetch_california_housing()?;
/// let scaler = StandardScaler::new().fit(&housing.data)?;
/// let x = scaler.transform(&housing.data)?;
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn fetch_california_housing() -> Result<Bunch> {
    cal_bunch(None)
}

/// [`fetch_california_housing`] from `cal_housing.data` in `dir`.
pub fn fetch_california_housing_from(dir: impl AsRef<Path>) -> Result<Bunch> {
    cal_bunch(Some(dir.as_ref()))
}

fn cal_bunch(dir: Option<&Path>) -> Result<Bunch> {
    let t = cal_raw(dir)?;
    let c = |n: &str| -> Result<Vec<f64>> { Ok(t.col(n)?.as_f64().unwrap_or_default().to_vec()) };
    let (rooms, beds, pop, hh) = (
        c("totalRooms")?,
        c("totalBedrooms")?,
        c("population")?,
        c("households")?,
    );
    let per = |v: &[f64]| v.iter().zip(&hh).map(|(a, h)| a / h).collect::<Vec<f64>>();
    let cols = vec![
        Column::float("MedInc", c("medianIncome")?),
        Column::float("HouseAge", c("housingMedianAge")?),
        Column::float("AveRooms", per(&rooms)),
        Column::float("AveBedrms", per(&beds)),
        Column::float("Population", pop.clone()),
        Column::float("AveOccup", per(&pop)),
        Column::float("Latitude", c("latitude")?),
        Column::float("Longitude", c("longitude")?),
    ];
    let features = Table::from_columns(cols)?;
    let target: Vec<f32> = c("medianHouseValue")?
        .iter()
        .map(|v| (v / 100_000.0) as f32)
        .collect();
    Ok(Bunch {
        data: features.to_tensor()?,
        target: Tensor::from_slice(&target),
        feature_names: features
            .column_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        target_names: vec![],
    })
}

/// Keras's `keras.datasets.california_housing.load_data(test_split=0.2, seed)`:
/// `((x_train, y_train), (x_test, y_test))` with the 8 raw features (longitude … median
/// income) `Kind::Float` and the median house value as target, shuffled with `seed`.
pub fn load_california_housing(test_split: f64, seed: u64) -> Result<super::TrainTest> {
    let t = cal_raw(None)?;
    let x = t.drop(&["medianHouseValue"])?.to_tensor()?;
    let y = t.col("medianHouseValue")?.to_tensor()?;
    let split = crate::preprocessing::TrainTestSplit {
        test_size: Some(test_split),
        random_state: Some(seed),
        ..Default::default()
    };
    let (x_train, x_test, y_train, y_test) = crate::preprocessing::train_test_split(&x, &y, split)?;
    Ok(((x_train, y_train), (x_test, y_test.to_kind(Kind::Float))))
}
