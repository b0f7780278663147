async fn commit(db: &Db, rows: Vec<Row>) -> Result<(), Error> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let __shield = ::autocancel::__private::shield();
    let tx = db.begin().await?;
    ::core::mem::drop(__shield);
    {
        let __shield = ::autocancel::__private::shield();
        for row in &rows {
            tx.insert(row).await?;
        }
        tx.commit().await?;
    }
    let n = {
        let __shield = ::autocancel::__private::shield();
        db.count().await
    };
    match n {
        0 => {
            match ::autocancel::__private::race(db.log("empty"), __cancellable.as_mut())
                .await
            {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
            }
        }
        _ => {
            let __shield = ::autocancel::__private::shield();
            db.flush().await
        }
    }
    let __shield = ::autocancel::__private::shield();
    println!("done");
    ::core::mem::drop(__shield);
    match ::autocancel::__private::race(db.notify(), __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    Ok(())
}
