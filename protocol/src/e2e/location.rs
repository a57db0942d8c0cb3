//! The location body (type 0x10, group 0x42): coordinates, then an optional name and address
//! (E2E-10).

use super::E2eError;

/// A shared location (E2E-10).
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Degrees north, -90 to 90.
    pub latitude: f64,
    /// Degrees east, -180 to 180.
    pub longitude: f64,
    /// Accuracy in metres, not negative.
    pub accuracy: Option<f64>,
    /// Name of the place; only together with an address.
    pub name: Option<String>,
    /// Address; may hold line breaks (written as the two characters `\n` on the wire).
    pub address: Option<String>,
}

fn invalid(reason: &'static str) -> E2eError {
    E2eError::InvalidLocation { reason }
}

/// Parses one coordinate as a finite decimal number within `limit` (E2E-10).
fn number(text: &str, limit: f64, what: &'static str) -> Result<f64, E2eError> {
    // Rust's parser also takes "inf" and "NaN"; both are refused by the finiteness check.
    let value: f64 = text.parse().map_err(|_| invalid(what))?;
    if !value.is_finite() || value.abs() > limit {
        return Err(invalid(what));
    }
    Ok(value)
}

impl Location {
    fn check(&self) -> Result<(), E2eError> {
        number(&self.latitude.to_string(), 90.0, "latitude out of range")?;
        number(&self.longitude.to_string(), 180.0, "longitude out of range")?;
        if let Some(accuracy) = self.accuracy
            && !(accuracy.is_finite() && accuracy >= 0.0)
        {
            return Err(invalid("accuracy must be a finite number, not negative"));
        }
        if self.name.as_deref().is_some_and(|n| n.contains('\n')) {
            return Err(invalid("name holds a line break"));
        }
        if self.name.is_some() && self.address.is_none() {
            return Err(invalid("a name needs an address"));
        }
        Ok(())
    }

    /// Writes `lat,lon[,accuracy]`, then `\n` name and `\n` address as present (E2E-10).
    /// Numbers are written in Rust's shortest round-trip decimal form without exponent.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), E2eError> {
        self.check()?;
        let mut text = format!("{},{}", self.latitude, self.longitude);
        if let Some(accuracy) = self.accuracy {
            text.push(',');
            text.push_str(&accuracy.to_string());
        }
        if let Some(name) = &self.name {
            text.push('\n');
            text.push_str(name);
        }
        if let Some(address) = &self.address {
            text.push('\n');
            // E2E-10: line breaks inside the address travel as a literal backslash and `n`.
            text.push_str(&address.replace('\n', "\\n"));
        }
        out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// Parses a location body (E2E-10).
    pub(crate) fn decode(body: &[u8]) -> Result<Self, E2eError> {
        let text =
            core::str::from_utf8(body).map_err(|_| E2eError::InvalidUtf8 { what: "location" })?;
        let lines: Vec<&str> = text.split('\n').collect();
        let (coordinates, name, address) = match lines.as_slice() {
            [c] => (*c, None, None),
            [c, a] => (*c, None, Some(*a)),
            [c, n, a] => (*c, Some(*n), Some(*a)),
            _ => return Err(invalid("more than three lines")),
        };
        let parts: Vec<&str> = coordinates.split(',').collect();
        let (lat, lon, accuracy) = match parts.as_slice() {
            [lat, lon] => (*lat, *lon, None),
            [lat, lon, acc] => (*lat, *lon, Some(*acc)),
            _ => return Err(invalid("coordinates are not lat,lon[,accuracy]")),
        };
        let accuracy = accuracy
            .map(|a| number(a, f64::MAX, "accuracy is not a number"))
            .transpose()?;
        if accuracy.is_some_and(|a| a < 0.0) {
            return Err(invalid("accuracy is negative"));
        }
        Ok(Self {
            latitude: number(lat, 90.0, "latitude is not a number from -90 to 90")?,
            longitude: number(lon, 180.0, "longitude is not a number from -180 to 180")?,
            accuracy,
            name: name.map(str::to_owned),
            address: address.map(|a| a.replace("\\n", "\n")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_name_and_multiline_address() {
        let location = Location {
            latitude: 47.3769,
            longitude: 8.0,
            accuracy: Some(12.5),
            name: Some("Zürich HB".into()),
            address: Some("Bahnhofplatz\n8001 Zürich".into()),
        };
        let mut body = Vec::new();
        location.encode_into(&mut body).unwrap();
        assert_eq!(
            body,
            "47.3769,8,12.5\nZürich HB\nBahnhofplatz\\n8001 Zürich".as_bytes()
        );
        assert_eq!(Location::decode(&body).unwrap(), location);
    }

    #[test]
    fn rejects_out_of_range_and_malformed() {
        for body in [
            "91,0",
            "0",
            "0,181",
            "a,b",
            "0,0,-1",
            "0,0\na\nb\nc",
            "NaN,0",
        ] {
            assert!(Location::decode(body.as_bytes()).is_err(), "{body}");
        }
    }
}
