use arrears_plugin_sdk::{AttributeValue, Host, Plugin};

use super::{Scorecard, ScorecardPlugin};

const CARD: &str = "\
,variable,bin,points
0,basepoints,,600.0
1,age,\"[-inf,26.0)\",-28.0
2,age,\"[26.0,35.0)\",-10.0
3,age,\"[35.0,inf)\",24.0
4,duration,missing,-5.0
5,duration,\"[-inf,12.0)\",30.0
6,duration,\"[12.0,inf)\",-20.0
7,purpose,\"car (new)%,%others\",-15.0
8,purpose,\"radio/television%,%furniture/equipment\",12.0
";

fn check(row: &[(&str, AttributeValue<'_>)]) -> Result<(f64, Vec<String>), String> {
    let card = Scorecard::parse(CARD).map_err(|error| error.to_string())?.finish();
    let scored = card
        .score(|name| row.iter().find(|(key, _)| *key == name).map(|(_, value)| *value))
        .map_err(|error| error.message().to_owned())?;
    Ok((scored.points, scored.reasons))
}

#[test]
fn intervals_are_left_closed_right_open() {
    use AttributeValue::{Number, Text};
    let (points, reasons) =
        check(&[("age", Number(26.0)), ("duration", Number(12.0)), ("purpose", Text("others"))])
            .unwrap();
    assert_eq!(points, 600.0 - 10.0 - 20.0 - 15.0);
    assert_eq!(reasons, ["duration", "age", "purpose"]);
    let (points, reasons) = check(&[
        ("age", Text("35")),
        ("duration", Text("")),
        ("purpose", Text("furniture/equipment")),
    ])
    .unwrap();
    assert_eq!(points, 600.0 + 24.0 - 5.0 + 12.0);
    assert_eq!(reasons, ["duration"]);
}

#[test]
fn a_value_outside_every_bin_names_variable_and_value() {
    use AttributeValue::{Missing, Number, Text};
    let error =
        check(&[("age", Missing), ("duration", Number(1.0)), ("purpose", Text("x"))]).unwrap_err();
    assert_eq!(error, "variable \"age\": value (missing) is outside every bin");
    let error =
        check(&[("age", Number(1.0)), ("duration", Number(1.0)), ("purpose", Text("boat"))])
            .unwrap_err();
    assert_eq!(error, "variable \"purpose\": value \"boat\" is outside every bin");
}

#[test]
fn toml_cards_and_bad_cards() {
    let card = Scorecard::parse(
        "base_points = 500\n[[variable]]\nname = \"days_past_due\"\n\
         bins = [ { bin = \"[-inf,30)\", points = 40 }, { bin = \"[30,inf)\", points = -20 } ]\n",
    )
    .unwrap()
    .finish();
    let scored = card.score(|_| Some(AttributeValue::Number(45.0))).unwrap();
    assert_eq!(scored.points, 480.0);
    assert_eq!(scored.reasons, ["days_past_due"]);
    assert_eq!(card.bin_label("days_past_due", AttributeValue::Number(29.9)), Some("[-inf,30)"));
    assert!(Scorecard::parse("variable,bin,points\nage,\"[-inf,inf)\",3\n").is_err());
    assert!(Scorecard::parse("base_points = \"x\"").is_err());
    assert!(ScorecardPlugin::init("variable,bin,points\nbasepoints,,600\n", Host::none()).is_ok());
}
