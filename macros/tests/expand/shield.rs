// Shielded sections: no checkpoint, no race inside; the guard held around them.
#[cancellable]
async fn commit(db: &Db, rows: Vec<Row>) -> Result<(), Error> {
    #[shield]
    let tx = db.begin().await?;
    #[shield]
    {
        for row in &rows {
            tx.insert(row).await?;
        }
        tx.commit().await?;
    }
    let n = #[shield] db.count().await;
    match n {
        0 => db.log("empty").await,
        #[shield]
        _ => db.flush().await,
    }
    #[shield]
    println!("done");
    db.notify().await;
    Ok(())
}
